#include <rocksdb/c.h>
#include <sqlite3.h>
#include <malloc.h>
