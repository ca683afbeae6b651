// glibc's malloc introspection (malloc.h), which Swift's Glibc module does not export: the
// footprint tests ask malloc how large a lock's allocation really is.
#ifndef LOCKORDER_CMALLOCSUPPORT_H
#define LOCKORDER_CMALLOCSUPPORT_H

#include <malloc.h>

#endif
