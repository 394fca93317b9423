// The store's settings (such as the active model version), by key.
MATCH (s:Setting)
RETURN s.key AS key, s.value AS value
ORDER BY key;
