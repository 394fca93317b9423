"""From the store to what training needs: snapshots with contiguous ids, and derived edges."""
