// The OS shims: the few libc, loader and libunwind calls the checker and the lock types need
// that Swift cannot make by itself. Each says why. None of them is on the checked fast path
// except `lockorder_cpu_relax`, which a spin lock calls while it waits.
#ifndef LOCKORDER_OS_SHIMS_H
#define LOCKORDER_OS_SHIMS_H

#include <stddef.h>
#include <stdint.h>

/// The name of the function containing `address` and the offset into it, from the binary's
/// symbol tables through libunwind. Returns 0 on success.
///
/// Why C: libunwind's API names are macros (`unw_get_accessors` becomes `_ULx86_64_get_accessors`
/// under UNW_LOCAL_ONLY), which Swift cannot call, and the check against a wrong neighbouring
/// symbol needs `dladdr1`, which needs _GNU_SOURCE.
int lockorder_symbol_name(uintptr_t address, char *name, size_t capacity, uintptr_t *offset);

/// The path and load address of the module (executable or shared object) containing
/// `address`, through dladdr. Returns 0 on success; `*path` points into the loader's data.
///
/// Why C: Swift's Glibc module does not expose `dladdr` or `Dl_info` (they need _GNU_SOURCE).
int lockorder_module_of(uintptr_t address, const char **path, uintptr_t *base);

/// The module containing `address` as a symbolizer needs it: its path and its load bias (the
/// runtime address of the file's address 0, which differs from the load address for a non-PIE
/// executable). `*is_main_program` is 1 for the executable itself, whose dladdr path is argv[0]
/// rather than a path that can be opened. Returns 0 on success.
///
/// Why C: `dladdr1` and `RTLD_DL_LINKMAP` need _GNU_SOURCE, and `struct link_map` comes from
/// `<link.h>`, neither of which Swift's Glibc module exposes.
int lockorder_module_bias(uintptr_t address, const char **path, uintptr_t *bias, int *is_main_program);

/// Whether this process is a child made by `fork` that has not called `exec` since: its
/// process id differs from the one recorded when this image was loaded (a constructor). Such a
/// child may only make async-signal-safe calls, so it must not start a symbolizer process.
///
/// Why C: a load-time constructor (`__attribute__((constructor))`) has no Swift spelling.
int lockorder_is_forked_child(void);

/// Whether the calling thread is running a signal handler: a frame of its current stack is a
/// signal frame (the kernel's return trampoline), found by walking the stack with libunwind.
/// Costs one walk of the stack (microseconds); for report paths only, never the fast path.
///
/// Why C: `unw_getcontext`, `unw_init_local` and `unw_is_signal_frame` are macros over
/// per-architecture names, and the context must be taken in the calling frame.
int lockorder_is_in_signal_handler(void);

/// The calling thread's kernel thread id.
///
/// Why C: `syscall` is variadic, and Swift cannot call a C variadic function (glibc's `gettid`
/// wrapper is not in Swift's Glibc module either).
int64_t lockorder_thread_id(void);

/// The calling thread's name (pthread_getname_np). Returns 0 on success.
///
/// Why C: Swift's Glibc module does not expose `pthread_getname_np` (it needs _GNU_SOURCE).
int lockorder_thread_name(char *name, size_t capacity);

/// Tells the CPU the caller is spinning (x86 `pause`, arm64 `yield`), so a spin lock's waiting
/// loop yields the core's resources to its sibling thread.
///
/// Why C: Swift has no spin-loop hint and no inline assembly; a `static inline` function with a
/// compiler builtin inlines into the Swift loop as the one instruction.
static inline void lockorder_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// The timed acquisitions, with a relative timeout measured on CLOCK_MONOTONIC (so a change of
/// the wall clock does not stretch or cut the wait). They return the pthread result: 0 when
/// acquired, ETIMEDOUT on timeout.
///
/// Why C: `pthread_mutex_clocklock` and `pthread_rwlock_clock{rd,wr}lock` are glibc extensions
/// declared only with _GNU_SOURCE, so Swift's Glibc module does not expose them.
int lockorder_mutex_timed_lock(void *mutex, int64_t timeout_nanoseconds);
int lockorder_rwlock_timed_read_lock(void *rwlock, int64_t timeout_nanoseconds);
int lockorder_rwlock_timed_write_lock(void *rwlock, int64_t timeout_nanoseconds);

// No shim initialises a reader-writer lock: `pthread_rwlockattr_setkind_np` and its kinds are in
// Swift's Glibc module, so LockCore's LockOperations calls them itself and checks each result.

#endif
