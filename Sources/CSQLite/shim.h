#include <sqlite3.h>

/// sqlite3_config is variadic, which Swift cannot call. Turns off SQLite's count of the memory it
/// allocates, which takes a global mutex on every allocation; to be called before the first
/// connection opens (SQLITE_MISUSE after, and the count stays on).
static inline int runclinic_sqlite3_stop_counting_memory(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
