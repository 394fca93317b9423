MERGE (s:Setting {key: $key})
SET s.value = $value;
