// The pthread interposer's per-thread bypass (docs/interpose.md): while it is non-zero, the
// interposer's wrappers call the real pthread functions and tell the checker nothing. The
// checker's own raw locks (RawMutex) and the interposer itself raise it, so the checker never
// checks, nor recurses into, its own locking.
//
// It lives in C, beside the per-thread state, because the interposer's C wrappers read it before
// anything else, on every pthread call of the process, and the checker raises it from Swift.
#ifndef LOCKORDER_BYPASS_H
#define LOCKORDER_BYPASS_H

#include <stdint.h>

extern __thread uint32_t lockorder_bypass_storage __attribute__((tls_model("initial-exec")));

static inline uint32_t lockorder_bypass_depth(void) { return lockorder_bypass_storage; }
static inline void lockorder_bypass_enter(void) { lockorder_bypass_storage += 1; }
static inline void lockorder_bypass_leave(void) { lockorder_bypass_storage -= 1; }

#endif
