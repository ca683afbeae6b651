// The pthread interposer's wrappers (docs/interpose.md). Loaded with LD_PRELOAD, this library's
// pthread_mutex_lock & co. receive every call of the process; each one reaches the real
// function through dlsym(RTLD_NEXT) and, while checking is on, tells the checker about it with
// the three calls (intent before blocking, acquired, released).
//
// Rules kept here:
// - With checking off (LOCKORDER_CHECK unset), a wrapper is one predictable branch on a plain
//   global, then the real function.
// - Never recurse: the checker's own locks (RawMutex) and everything the checker calls run with
//   the thread's bypass flag raised, and a raised flag sends a wrapper straight to the real
//   function.
// - Before the constructor ran (other libraries' constructors, the dynamic loader's users),
//   wrappers resolve the real function on first use and pass through.
// - Recursive and error-checking mutexes keep their semantics: the real function always makes
//   the decision the caller sees.
#define _GNU_SOURCE
#include "CLockOrderInterpose.h"
#include "LockOrderBypass.h"
#include "LockOrderThreadState.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

// libunwind from its one spelling (UNW_LOCAL_ONLY first), as OSShims.c takes it.
#include "../CLibunwind/shim.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RETURN_ADDRESS() ((uintptr_t)__builtin_return_address(0))

// MARK: The real functions

/// Resolves one real function: dlsym(RTLD_NEXT), or dlvsym for the versioned condition calls
/// (plain dlsym finds glibc's old 2.2.5 pthread_cond_* compatibility versions).
static void *resolve(const char *name, const char *version) {
    void *function = version ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
    if (function == NULL) {
        static const char message[] = "lockorder: interpose: a real pthread function is missing\n";
        (void)!write(2, message, sizeof message - 1);
        abort();
    }
    return function;
}

#define REAL(name) real_##name
#define DECLARE_REAL(ret, name, version, params)                                              \
    static ret(*real_##name) params;                                                          \
    static ret(*get_real_##name(void)) params {                                               \
        ret(*function) params = __atomic_load_n(&real_##name, __ATOMIC_ACQUIRE);               \
        if (UNLIKELY(function == NULL)) {                                                     \
            function = (ret(*) params)resolve(#name, version);                                \
            __atomic_store_n(&real_##name, function, __ATOMIC_RELEASE);                       \
        }                                                                                     \
        return function;                                                                      \
    }

DECLARE_REAL(int, pthread_mutex_init, NULL, (pthread_mutex_t *, const pthread_mutexattr_t *))
DECLARE_REAL(int, pthread_mutex_destroy, NULL, (pthread_mutex_t *))
DECLARE_REAL(int, pthread_mutex_lock, NULL, (pthread_mutex_t *))
DECLARE_REAL(int, pthread_mutex_trylock, NULL, (pthread_mutex_t *))
DECLARE_REAL(int, pthread_mutex_timedlock, NULL, (pthread_mutex_t *, const struct timespec *))
DECLARE_REAL(int, pthread_mutex_clocklock, NULL, (pthread_mutex_t *, clockid_t, const struct timespec *))
DECLARE_REAL(int, pthread_mutex_unlock, NULL, (pthread_mutex_t *))
DECLARE_REAL(int, pthread_rwlock_init, NULL, (pthread_rwlock_t *, const pthread_rwlockattr_t *))
DECLARE_REAL(int, pthread_rwlock_destroy, NULL, (pthread_rwlock_t *))
DECLARE_REAL(int, pthread_rwlock_rdlock, NULL, (pthread_rwlock_t *))
DECLARE_REAL(int, pthread_rwlock_wrlock, NULL, (pthread_rwlock_t *))
DECLARE_REAL(int, pthread_rwlock_tryrdlock, NULL, (pthread_rwlock_t *))
DECLARE_REAL(int, pthread_rwlock_trywrlock, NULL, (pthread_rwlock_t *))
DECLARE_REAL(int, pthread_rwlock_timedrdlock, NULL, (pthread_rwlock_t *, const struct timespec *))
DECLARE_REAL(int, pthread_rwlock_timedwrlock, NULL, (pthread_rwlock_t *, const struct timespec *))
DECLARE_REAL(int, pthread_rwlock_clockrdlock, NULL, (pthread_rwlock_t *, clockid_t, const struct timespec *))
DECLARE_REAL(int, pthread_rwlock_clockwrlock, NULL, (pthread_rwlock_t *, clockid_t, const struct timespec *))
DECLARE_REAL(int, pthread_rwlock_unlock, NULL, (pthread_rwlock_t *))
DECLARE_REAL(int, pthread_spin_init, NULL, (pthread_spinlock_t *, int))
DECLARE_REAL(int, pthread_spin_destroy, NULL, (pthread_spinlock_t *))
DECLARE_REAL(int, pthread_spin_lock, NULL, (pthread_spinlock_t *))
DECLARE_REAL(int, pthread_spin_trylock, NULL, (pthread_spinlock_t *))
DECLARE_REAL(int, pthread_spin_unlock, NULL, (pthread_spinlock_t *))
DECLARE_REAL(int, pthread_cond_wait, "GLIBC_2.3.2", (pthread_cond_t *, pthread_mutex_t *))
DECLARE_REAL(int, pthread_cond_timedwait, "GLIBC_2.3.2",
             (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))
DECLARE_REAL(int, pthread_cond_clockwait, NULL, (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *))

/// A timed call's deadline and the clock it is measured on: `pthread_*_timed*` take
/// CLOCK_REALTIME implicitly (clock NO_CLOCK), glibc 2.30's `pthread_*_clock*` name theirs.
#define NO_CLOCK ((clockid_t)-1)
typedef struct deadline {
    const struct timespec *time;  ///< NULL: no deadline (a blocking call)
    clockid_t clock;
} deadline;
static const deadline no_deadline = {NULL, NO_CLOCK};

// MARK: The switch

/// Non-zero while the interposer checks: set once by the constructor, before any thread the
/// program makes, from LOCKORDER_CHECK.
static int interpose_active;

int lockorder_interpose_is_active(void) { return __atomic_load_n(&interpose_active, __ATOMIC_RELAXED); }

// MARK: The Swift runtime's own locks

/// The code of the Swift runtime's libraries (libswiftCore.so and the other libswift*.so, this
/// library too) and of libunwind, found when the interposer starts. Their pthread locks are passed through
/// unchecked: the checker is Swift code, which takes them (metadata caches), so checking one
/// would call into Swift while holding it, and a lock the checker itself needs would then
/// deadlock against its own thread. They are the runtime's internals, not the program's order.
#define RUNTIME_RANGES 32
static struct { uintptr_t start, end; } runtime_ranges[RUNTIME_RANGES];
static int runtime_range_count;

static int note_runtime_module(struct dl_phdr_info *info, size_t size, void *here) {
    (void)size;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    const char *slash = strrchr(name, '/');
    const char *file = slash ? slash + 1 : name;
    // libunwind too: the checker unwinds through it (class sites, backtraces), and it takes its
    // own mutexes while it unwinds for someone else (the Swift runtime's fatal-error backtrace
    // goes through its _Unwind_Backtrace once this library has loaded it). Checking one of those
    // would unwind again from inside the unwinder and wait for the mutex its own thread holds.
    int is_runtime = strncmp(file, "libswift", 8) == 0 || strncmp(file, "libunwind", 9) == 0;
    for (int index = 0; index < info->dlpi_phnum && !is_runtime; index++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[index];
        uintptr_t start = info->dlpi_addr + segment->p_vaddr;
        if ((uintptr_t)here >= start && (uintptr_t)here < start + segment->p_memsz) is_runtime = 1;
    }
    if (!is_runtime) return 0;
    for (int index = 0; index < info->dlpi_phnum && runtime_range_count < RUNTIME_RANGES; index++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[index];
        if (segment->p_type != PT_LOAD || !(segment->p_flags & PF_X)) continue;
        runtime_ranges[runtime_range_count].start = info->dlpi_addr + segment->p_vaddr;
        runtime_ranges[runtime_range_count].end = info->dlpi_addr + segment->p_vaddr + segment->p_memsz;
        runtime_range_count++;
    }
    return 0;
}

static inline int from_runtime(uintptr_t caller) {
    for (int index = 0; index < runtime_range_count; index++) {
        if (caller >= runtime_ranges[index].start && caller < runtime_ranges[index].end) return 1;
    }
    return 0;
}

/// Whether this call should be checked: checking is on, neither the checker nor the interposer
/// is already running on this thread, and the caller is not the Swift runtime.
#define should_check() (UNLIKELY(__atomic_load_n(&interpose_active, __ATOMIC_RELAXED)) && lockorder_bypass_depth() == 0 && !from_runtime(RETURN_ADDRESS()))

/// Whether the calling thread's held stack is not empty (nothing is held when checking is off).
static inline int holds_checked_locks(void) {
    lockorder_thread_state *state = lockorder_current_thread_state();
    return state->depth != 0 || state->untracked != 0;
}

/// Whether a release should be checked: as `should_check`, except that a caller in the Swift
/// runtime passes it through only while this thread holds no checked lock. A function that ends
/// in a tail call to the release (`jmp pthread_mutex_unlock`) hands the wrapper its own caller's
/// return address, the runtime's when the runtime called it: a `swift_once` initialiser that
/// locks and unlocks, as Swift Testing's installer of its throw handlers does. Its lock call was
/// checked, so its release must be told too, or the lock stays on the held stack (a false
/// held_at_exit). The runtime's own locks are not in the table (their acquisitions pass through
/// before they are identified): for them this costs a lookup, only while a checked lock is held.
#define should_check_release() (UNLIKELY(__atomic_load_n(&interpose_active, __ATOMIC_RELAXED)) && lockorder_bypass_depth() == 0 && (!from_runtime(RETURN_ADDRESS()) || holds_checked_locks()))

// MARK: The table: pthread object address -> identity

#define STRIPES 64
#define SLOTS_PER_STRIPE 4096
#define EMPTY ((uintptr_t)0)
#define TOMBSTONE ((uintptr_t)1)

typedef struct slot {
    uintptr_t address;
    lockorder_foreign_identity identity;
    uint8_t flavor;
} slot;

/// One stripe: a spin lock of its own (no pthread call: the table is used inside the
/// wrappers) and open addressing with linear probing.
static struct stripe {
    int lock;
    uint32_t used;
    slot slots[SLOTS_PER_STRIPE];
} table[STRIPES];

static int table_full_announced;

static inline uint64_t mix(uintptr_t address) {
    uint64_t value = (uint64_t)address * 0x9E3779B97F4A7C15ull;
    return value ^ (value >> 29);
}

static inline struct stripe *stripe_of(uintptr_t address) { return &table[mix(address) % STRIPES]; }

static inline void stripe_lock(struct stripe *stripe) {
    while (__atomic_exchange_n(&stripe->lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&stripe->lock, __ATOMIC_RELAXED)) __builtin_ia32_pause();
    }
}

static inline void stripe_unlock(struct stripe *stripe) { __atomic_store_n(&stripe->lock, 0, __ATOMIC_RELEASE); }

/// Finds the slot of `address` in a locked stripe; NULL when absent.
static slot *find_locked(struct stripe *stripe, uintptr_t address) {
    uint64_t start = (mix(address) / STRIPES) % SLOTS_PER_STRIPE;
    for (uint32_t step = 0; step < SLOTS_PER_STRIPE; step++) {
        slot *candidate = &stripe->slots[(start + step) % SLOTS_PER_STRIPE];
        if (candidate->address == address) return candidate;
        if (candidate->address == EMPTY) return NULL;
    }
    return NULL;
}

/// Looks up a known lock.
static int lookup(uintptr_t address, lockorder_foreign_identity *identity, uint8_t *flavor) {
    struct stripe *stripe = stripe_of(address);
    stripe_lock(stripe);
    slot *found = find_locked(stripe, address);
    if (found != NULL) {
        *identity = found->identity;
        *flavor = found->flavor;
    }
    stripe_unlock(stripe);
    return found != NULL;
}

/// Inserts a lock unless another thread did first; answers the identity in the table.
/// Returns 0 when the table is full (the lock then goes unchecked, announced once).
static int insert(uintptr_t address, lockorder_foreign_identity *identity, uint8_t *flavor) {
    struct stripe *stripe = stripe_of(address);
    stripe_lock(stripe);
    slot *found = find_locked(stripe, address);
    if (found != NULL) {
        *identity = found->identity;
        *flavor = found->flavor;
        stripe_unlock(stripe);
        return 1;
    }
    uint64_t start = (mix(address) / STRIPES) % SLOTS_PER_STRIPE;
    slot *free_slot = NULL;
    if (stripe->used < SLOTS_PER_STRIPE - SLOTS_PER_STRIPE / 8) {
        for (uint32_t step = 0; step < SLOTS_PER_STRIPE; step++) {
            slot *candidate = &stripe->slots[(start + step) % SLOTS_PER_STRIPE];
            if (candidate->address == EMPTY || candidate->address == TOMBSTONE) {
                free_slot = candidate;
                break;
            }
        }
    }
    if (free_slot != NULL) {
        if (free_slot->address == EMPTY) stripe->used += 1;
        free_slot->address = address;
        free_slot->identity = *identity;
        free_slot->flavor = *flavor;
    }
    stripe_unlock(stripe);
    if (free_slot == NULL && !__atomic_exchange_n(&table_full_announced, 1, __ATOMIC_RELAXED)) {
        static const char message[] =
            "lockorder: capacity: the interposer's table of pthread locks is full; locks first seen from now "
            "on are not checked, while every check on the known ones goes on\n";
        (void)!write(2, message, sizeof message - 1);
    }
    return free_slot != NULL;
}

/// Forgets a destroyed lock, so that a new lock at the same address starts afresh.
static int forget(uintptr_t address, lockorder_foreign_identity *identity) {
    struct stripe *stripe = stripe_of(address);
    stripe_lock(stripe);
    slot *found = find_locked(stripe, address);
    if (found != NULL) {
        *identity = found->identity;
        found->address = TOMBSTONE;
    }
    stripe_unlock(stripe);
    return found != NULL;
}

// MARK: Flavours

static uint8_t mutex_flavor(const pthread_mutex_t *mutex) {
    switch (mutex->__data.__kind & 3) {
    case PTHREAD_MUTEX_RECURSIVE_NP: return LOCKORDER_FOREIGN_RECURSIVE_MUTEX;
    case PTHREAD_MUTEX_ERRORCHECK_NP: return LOCKORDER_FOREIGN_ERRORCHECK_MUTEX;
    default: return LOCKORDER_FOREIGN_MUTEX;
    }
}

static uint8_t rwlock_flavor(const pthread_rwlock_t *rwlock) {
    return rwlock->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP ? LOCKORDER_FOREIGN_WRITER_RWLOCK
                                                                                 : LOCKORDER_FOREIGN_RWLOCK;
}

/// How many call frames class a lock: the init (or first lock) call's return address and the
/// callers above it, so that locks made through one helper (`makeMutex()`, NIOLock's storage)
/// at different places are different classes. LOCKORDER_INTERPOSE_FRAMES, 1 to 8; default 4.
static int class_frames = 4;

/// The class site of a lock first seen now: up to `class_frames` return addresses, the
/// wrapper's caller first. Returns how many were found.
static int class_site(uintptr_t return_address, uintptr_t *frames) {
    frames[0] = return_address;
    if (class_frames == 1) return 1;
    void *stack[32];
    int depth = unw_backtrace(stack, 32);
    int count = 1;
    for (int index = 0; index < depth; index++) {
        if ((uintptr_t)stack[index] != return_address) continue;
        for (int above = index + 1; above < depth && count < class_frames; above++) {
            frames[count++] = (uintptr_t)stack[above];
        }
        break;
    }
    return count;
}

/// The identity of the lock at `object`, registering it (classed by its call site) on first
/// sight. Called with the bypass raised. Returns 0 when the lock cannot be tracked.
static int identify(const void *object, uint8_t flavor, uint8_t operation, uintptr_t site,
                    lockorder_foreign_identity *identity, uint8_t *known_flavor) {
    uintptr_t address = (uintptr_t)object;
    if (lookup(address, identity, known_flavor)) return 1;
    uintptr_t frames[8];
    int count = class_site(site, frames);
    lockorder_interpose_register(flavor, operation, frames, (uint8_t)count, identity);
    *known_flavor = flavor;
    return insert(address, identity, known_flavor);
}

static inline pid_t current_tid(void) { return (pid_t)syscall(SYS_gettid); }

// MARK: Mutexes

int pthread_mutex_init(pthread_mutex_t *mutex, const pthread_mutexattr_t *attributes) {
    int result = get_real_pthread_mutex_init()(mutex, attributes);
    if (LIKELY(!should_check()) || result != 0) return result;
    lockorder_bypass_enter();
    lockorder_foreign_identity identity, stale;
    uint8_t flavor = mutex_flavor(mutex);
    // An address reused without pthread_mutex_destroy (memory freed and reallocated) is a new lock.
    forget((uintptr_t)mutex, &stale);
    identify(mutex, flavor, LOCKORDER_OP_INIT, RETURN_ADDRESS(), &identity, &flavor);
    lockorder_bypass_leave();
    return result;
}

int pthread_mutex_destroy(pthread_mutex_t *mutex) {
    if (LIKELY(!should_check())) return get_real_pthread_mutex_destroy()(mutex);
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    if (forget((uintptr_t)mutex, &identity)) {
        pid_t owner = mutex->__data.__owner;
        lockorder_interpose_destroyed(&identity, owner != 0 && owner != current_tid(), RETURN_ADDRESS());
    }
    lockorder_bypass_leave();
    return get_real_pthread_mutex_destroy()(mutex);
}

/// A mutex acquisition: intent (unless it cannot block), the real call, acquired.
static int acquire_mutex(pthread_mutex_t *mutex, uint8_t attempt, uintptr_t site, deadline until) {
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    uint8_t flavor = mutex_flavor(mutex);
    int tracked = identify(mutex, flavor, LOCKORDER_OP_FIRST_USE, site, &identity, &flavor);
    // An error-checking mutex relocked by its owner answers EDEADLK instead of hanging: not a
    // self-deadlock, so the checker is not asked.
    if (tracked && flavor == LOCKORDER_FOREIGN_ERRORCHECK_MUTEX && lockorder_interpose_holds(&identity, 2) == 1) {
        tracked = 0;
    }
    if (tracked) lockorder_interpose_will_acquire(&identity, 0, attempt, site);
    lockorder_bypass_leave();
    int result = attempt == 1                  ? get_real_pthread_mutex_trylock()(mutex)
                 : until.time == NULL          ? get_real_pthread_mutex_lock()(mutex)
                 : until.clock == NO_CLOCK     ? get_real_pthread_mutex_timedlock()(mutex, until.time)
                                               : get_real_pthread_mutex_clocklock()(mutex, until.clock, until.time);
    if (tracked && result == 0) {
        lockorder_bypass_enter();
        lockorder_interpose_did_acquire(&identity, 0, attempt, site);
        lockorder_bypass_leave();
    }
    return result;
}

int pthread_mutex_lock(pthread_mutex_t *mutex) {
    if (LIKELY(!should_check())) return get_real_pthread_mutex_lock()(mutex);
    return acquire_mutex(mutex, 0, RETURN_ADDRESS(), no_deadline);
}

int pthread_mutex_trylock(pthread_mutex_t *mutex) {
    if (LIKELY(!should_check())) return get_real_pthread_mutex_trylock()(mutex);
    return acquire_mutex(mutex, 1, RETURN_ADDRESS(), no_deadline);
}

int pthread_mutex_timedlock(pthread_mutex_t *mutex, const struct timespec *time) {
    if (LIKELY(!should_check())) return get_real_pthread_mutex_timedlock()(mutex, time);
    return acquire_mutex(mutex, 2, RETURN_ADDRESS(), (deadline){time, NO_CLOCK});
}

int pthread_mutex_clocklock(pthread_mutex_t *mutex, clockid_t clock, const struct timespec *time) {
    if (LIKELY(!should_check())) return get_real_pthread_mutex_clocklock()(mutex, clock, time);
    return acquire_mutex(mutex, 2, RETURN_ADDRESS(), (deadline){time, clock});
}

/// A mutex release as the checker sees it. Returns 1 when the real unlock must be made (the
/// answer then comes from pthread), 0 when it must not (a misuse reported; *result says what
/// to answer).
static int release_mutex(pthread_mutex_t *mutex, uintptr_t site, int *result) {
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    uint8_t flavor;
    int perform = 1;
    if (lookup((uintptr_t)mutex, &identity, &flavor)) {
        switch (lockorder_interpose_will_release(&identity, 0, site)) {
        case LOCKORDER_RELEASE:
        case LOCKORDER_STILL_HELD:  // a recursive mutex counts its own holds: release one
            break;
        default: {
            // Taken before checking began (a constructor) or with the bypass raised: pthread
            // knows the owner. Otherwise a real misuse: report it; only the mutex types that
            // define the misuse (error-checking, recursive: EPERM) still get the real call.
            pid_t owner = mutex->__data.__owner;
            if (owner == current_tid()) break;
            lockorder_interpose_report_unlock_not_held(&identity, 0, owner != 0, site);
            if (flavor == LOCKORDER_FOREIGN_MUTEX) {
                perform = 0;
                *result = EPERM;
            }
        }
        }
    }
    lockorder_bypass_leave();
    return perform;
}

int pthread_mutex_unlock(pthread_mutex_t *mutex) {
    if (LIKELY(!should_check_release())) return get_real_pthread_mutex_unlock()(mutex);
    int result = 0;
    if (!release_mutex(mutex, RETURN_ADDRESS(), &result)) return result;
    return get_real_pthread_mutex_unlock()(mutex);
}

// MARK: Condition variables: the mutex is released for the checker during the wait

static int wait_on(pthread_cond_t *condition, pthread_mutex_t *mutex, deadline until, uintptr_t site) {
    int result = 0;
    if (!release_mutex(mutex, site, &result)) return result;
    result = until.time == NULL        ? get_real_pthread_cond_wait()(condition, mutex)
             : until.clock == NO_CLOCK ? get_real_pthread_cond_timedwait()(condition, mutex, until.time)
                                       : get_real_pthread_cond_clockwait()(condition, mutex, until.clock, until.time);
    // The mutex is held again (also after a timeout): checked as a blocking re-acquisition,
    // since the waiter blocked on it while holding whatever else it holds.
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    uint8_t flavor;
    if (lookup((uintptr_t)mutex, &identity, &flavor)) {
        lockorder_interpose_will_acquire(&identity, 0, 0, site);
        lockorder_interpose_did_acquire(&identity, 0, 0, site);
    }
    lockorder_bypass_leave();
    return result;
}

int pthread_cond_wait(pthread_cond_t *condition, pthread_mutex_t *mutex) {
    if (LIKELY(!should_check())) return get_real_pthread_cond_wait()(condition, mutex);
    return wait_on(condition, mutex, no_deadline, RETURN_ADDRESS());
}

int pthread_cond_timedwait(pthread_cond_t *condition, pthread_mutex_t *mutex, const struct timespec *time) {
    if (LIKELY(!should_check())) return get_real_pthread_cond_timedwait()(condition, mutex, time);
    return wait_on(condition, mutex, (deadline){time, NO_CLOCK}, RETURN_ADDRESS());
}

int pthread_cond_clockwait(pthread_cond_t *condition, pthread_mutex_t *mutex, clockid_t clock,
                           const struct timespec *time) {
    if (LIKELY(!should_check())) return get_real_pthread_cond_clockwait()(condition, mutex, clock, time);
    return wait_on(condition, mutex, (deadline){time, clock}, RETURN_ADDRESS());
}

// MARK: Reader-writer locks

int pthread_rwlock_init(pthread_rwlock_t *rwlock, const pthread_rwlockattr_t *attributes) {
    int result = get_real_pthread_rwlock_init()(rwlock, attributes);
    if (LIKELY(!should_check()) || result != 0) return result;
    lockorder_bypass_enter();
    lockorder_foreign_identity identity, stale;
    uint8_t flavor = rwlock_flavor(rwlock);
    forget((uintptr_t)rwlock, &stale);
    identify(rwlock, flavor, LOCKORDER_OP_INIT, RETURN_ADDRESS(), &identity, &flavor);
    lockorder_bypass_leave();
    return result;
}

int pthread_rwlock_destroy(pthread_rwlock_t *rwlock) {
    if (LIKELY(!should_check())) return get_real_pthread_rwlock_destroy()(rwlock);
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    if (forget((uintptr_t)rwlock, &identity)) {
        pid_t writer = rwlock->__data.__cur_writer;
        lockorder_interpose_destroyed(&identity, writer != 0 && writer != current_tid(), RETURN_ADDRESS());
    }
    lockorder_bypass_leave();
    return get_real_pthread_rwlock_destroy()(rwlock);
}

static int acquire_rwlock(pthread_rwlock_t *rwlock, uint8_t shared, uint8_t attempt, uintptr_t site,
                          deadline until) {
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    uint8_t flavor = rwlock_flavor(rwlock);
    int tracked = identify(rwlock, flavor, LOCKORDER_OP_FIRST_USE, site, &identity, &flavor);
    if (tracked) lockorder_interpose_will_acquire(&identity, shared, attempt, site);
    lockorder_bypass_leave();
    int result;
    if (shared) {
        result = attempt == 1              ? get_real_pthread_rwlock_tryrdlock()(rwlock)
                 : until.time == NULL      ? get_real_pthread_rwlock_rdlock()(rwlock)
                 : until.clock == NO_CLOCK ? get_real_pthread_rwlock_timedrdlock()(rwlock, until.time)
                                           : get_real_pthread_rwlock_clockrdlock()(rwlock, until.clock, until.time);
    } else {
        result = attempt == 1              ? get_real_pthread_rwlock_trywrlock()(rwlock)
                 : until.time == NULL      ? get_real_pthread_rwlock_wrlock()(rwlock)
                 : until.clock == NO_CLOCK ? get_real_pthread_rwlock_timedwrlock()(rwlock, until.time)
                                           : get_real_pthread_rwlock_clockwrlock()(rwlock, until.clock, until.time);
    }
    if (tracked && result == 0) {
        lockorder_bypass_enter();
        lockorder_interpose_did_acquire(&identity, shared, attempt, site);
        lockorder_bypass_leave();
    }
    return result;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *rwlock) {
    if (LIKELY(!should_check())) return get_real_pthread_rwlock_rdlock()(rwlock);
    return acquire_rwlock(rwlock, 1, 0, RETURN_ADDRESS(), no_deadline);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *rwlock) {
    if (LIKELY(!should_check())) return get_real_pthread_rwlock_wrlock()(rwlock);
    return acquire_rwlock(rwlock, 0, 0, RETURN_ADDRESS(), no_deadline);
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *rwlock) {
    if (LIKELY(!should_check())) return get_real_pthread_rwlock_tryrdlock()(rwlock);
    return acquire_rwlock(rwlock, 1, 1, RETURN_ADDRESS(), no_deadline);
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *rwlock) {
    if (LIKELY(!should_check())) return get_real_pthread_rwlock_trywrlock()(rwlock);
    return acquire_rwlock(rwlock, 0, 1, RETURN_ADDRESS(), no_deadline);
}

int pthread_rwlock_timedrdlock(pthread_rwlock_t *rwlock, const struct timespec *time) {
    if (LIKELY(!should_check())) return get_real_pthread_rwlock_timedrdlock()(rwlock, time);
    return acquire_rwlock(rwlock, 1, 2, RETURN_ADDRESS(), (deadline){time, NO_CLOCK});
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *rwlock, const struct timespec *time) {
    if (LIKELY(!should_check())) return get_real_pthread_rwlock_timedwrlock()(rwlock, time);
    return acquire_rwlock(rwlock, 0, 2, RETURN_ADDRESS(), (deadline){time, NO_CLOCK});
}

int pthread_rwlock_clockrdlock(pthread_rwlock_t *rwlock, clockid_t clock, const struct timespec *time) {
    if (LIKELY(!should_check())) return get_real_pthread_rwlock_clockrdlock()(rwlock, clock, time);
    return acquire_rwlock(rwlock, 1, 2, RETURN_ADDRESS(), (deadline){time, clock});
}

int pthread_rwlock_clockwrlock(pthread_rwlock_t *rwlock, clockid_t clock, const struct timespec *time) {
    if (LIKELY(!should_check())) return get_real_pthread_rwlock_clockwrlock()(rwlock, clock, time);
    return acquire_rwlock(rwlock, 0, 2, RETURN_ADDRESS(), (deadline){time, clock});
}

int pthread_rwlock_unlock(pthread_rwlock_t *rwlock) {
    if (LIKELY(!should_check_release())) return get_real_pthread_rwlock_unlock()(rwlock);
    uintptr_t site = RETURN_ADDRESS();
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    uint8_t flavor;
    int perform = 1;
    if (lookup((uintptr_t)rwlock, &identity, &flavor)) {
        // Which side: the write side when this thread is the writer pthread records.
        pid_t writer = rwlock->__data.__cur_writer;
        uint8_t shared = writer == current_tid() ? 0 : 1;
        if (lockorder_interpose_will_release(&identity, shared, site) == LOCKORDER_NOT_HELD) {
            // pthread cannot say which threads hold the read side: a read release the checker
            // did not see (taken before checking began) is let through unreported; a write
            // release by a thread that is not the writer is a misuse.
            if (!shared || writer != 0) {
                lockorder_interpose_report_unlock_not_held(&identity, shared, writer != 0, site);
                perform = 0;
            }
        }
    }
    lockorder_bypass_leave();
    return perform ? get_real_pthread_rwlock_unlock()(rwlock) : EPERM;
}

// MARK: Spin locks

int pthread_spin_init(pthread_spinlock_t *lock, int shared) {
    int result = get_real_pthread_spin_init()(lock, shared);
    if (LIKELY(!should_check()) || result != 0) return result;
    lockorder_bypass_enter();
    lockorder_foreign_identity identity, stale;
    uint8_t flavor = LOCKORDER_FOREIGN_SPIN;
    forget((uintptr_t)lock, &stale);
    identify((const void *)lock, flavor, LOCKORDER_OP_INIT, RETURN_ADDRESS(), &identity, &flavor);
    lockorder_bypass_leave();
    return result;
}

int pthread_spin_destroy(pthread_spinlock_t *lock) {
    if (LIKELY(!should_check())) return get_real_pthread_spin_destroy()(lock);
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    if (forget((uintptr_t)lock, &identity)) lockorder_interpose_destroyed(&identity, 0, RETURN_ADDRESS());
    lockorder_bypass_leave();
    return get_real_pthread_spin_destroy()(lock);
}

static int acquire_spin(pthread_spinlock_t *lock, uint8_t attempt, uintptr_t site) {
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    uint8_t flavor = LOCKORDER_FOREIGN_SPIN;
    int tracked = identify((const void *)lock, flavor, LOCKORDER_OP_FIRST_USE, site, &identity, &flavor);
    if (tracked) lockorder_interpose_will_acquire(&identity, 0, attempt, site);
    lockorder_bypass_leave();
    int result = attempt == 1 ? get_real_pthread_spin_trylock()(lock) : get_real_pthread_spin_lock()(lock);
    if (tracked && result == 0) {
        lockorder_bypass_enter();
        lockorder_interpose_did_acquire(&identity, 0, attempt, site);
        lockorder_bypass_leave();
    }
    return result;
}

int pthread_spin_lock(pthread_spinlock_t *lock) {
    if (LIKELY(!should_check())) return get_real_pthread_spin_lock()(lock);
    return acquire_spin(lock, 0, RETURN_ADDRESS());
}

int pthread_spin_trylock(pthread_spinlock_t *lock) {
    if (LIKELY(!should_check())) return get_real_pthread_spin_trylock()(lock);
    return acquire_spin(lock, 1, RETURN_ADDRESS());
}

int pthread_spin_unlock(pthread_spinlock_t *lock) {
    if (LIKELY(!should_check_release())) return get_real_pthread_spin_unlock()(lock);
    uintptr_t site = RETURN_ADDRESS();
    lockorder_bypass_enter();
    lockorder_foreign_identity identity;
    uint8_t flavor;
    if (lookup((uintptr_t)lock, &identity, &flavor)) {
        // A spin lock records no owner: a release the checker did not see goes through
        // unreported (it may have been taken before checking began).
        (void)lockorder_interpose_will_release(&identity, 0, site);
    }
    lockorder_bypass_leave();
    return get_real_pthread_spin_unlock()(lock);
}

// MARK: Start-up and fork

// The checker's own locks are held across fork by its own handlers (ForkHandlers, installed
// when the checker's state is made, so after these: their prepare runs first). These
// hold the table's stripes, so that the child never finds one taken by a thread it does not
// have, and raise the forking thread's bypass meanwhile: the other libraries' fork handlers that
// run between them take pthread locks, which must then go straight to the real functions.

static void fork_prepare(void) {
    lockorder_bypass_enter();
    for (int index = 0; index < STRIPES; index++) stripe_lock(&table[index]);
}

static void fork_resume(void) {
    for (int index = STRIPES - 1; index >= 0; index--) stripe_unlock(&table[index]);
    lockorder_bypass_leave();
}

/// Whether LOCKORDER_CHECK asks for checking (the checker reads the mode itself; this only
/// decides whether the wrappers call it at all).
static int environment_checks(void) {
    const char *value = getenv("LOCKORDER_CHECK");
    if (value == NULL || value[0] == 0) return 0;
    return strcmp(value, "0") != 0 && strcmp(value, "off") != 0;
}

// No priority: it must run after the Swift runtime registered this image (swiftrt.o's
// constructor, linked first), since turning checking on lets the wrappers call into Swift code.
__attribute__((constructor)) static void interpose_start(void) {
    // Resolve every real function now, while the process is single-threaded.
    get_real_pthread_mutex_init(), get_real_pthread_mutex_destroy(), get_real_pthread_mutex_lock();
    get_real_pthread_mutex_trylock(), get_real_pthread_mutex_timedlock(), get_real_pthread_mutex_unlock();
    get_real_pthread_rwlock_init(), get_real_pthread_rwlock_destroy(), get_real_pthread_rwlock_rdlock();
    get_real_pthread_rwlock_wrlock(), get_real_pthread_rwlock_tryrdlock(), get_real_pthread_rwlock_trywrlock();
    get_real_pthread_rwlock_timedrdlock(), get_real_pthread_rwlock_timedwrlock();
    get_real_pthread_rwlock_unlock(), get_real_pthread_spin_init(), get_real_pthread_spin_destroy();
    get_real_pthread_spin_lock(), get_real_pthread_spin_trylock(), get_real_pthread_spin_unlock();
    get_real_pthread_cond_wait(), get_real_pthread_cond_timedwait(), get_real_pthread_cond_clockwait();
    get_real_pthread_mutex_clocklock(), get_real_pthread_rwlock_clockrdlock(), get_real_pthread_rwlock_clockwrlock();
    if (!environment_checks()) return;
    const char *frames = getenv("LOCKORDER_INTERPOSE_FRAMES");
    if (frames != NULL && frames[0] >= '1' && frames[0] <= '8' && frames[1] == 0) class_frames = frames[0] - '0';
    // A program that links the checker itself (LockCore) has a second copy of its state; two
    // checkers on one process would disagree, so the interposer stays off there.
    // (A copy in the executable takes over this library's references to the shared symbols, so
    // compare the module that holds the checker's switches with this one.)
    extern struct lockorder_switches_line lockorder_switches_storage;
    Dl_info switches, here;
    if (dladdr((void *)&lockorder_switches_storage, &switches) != 0 && dladdr((void *)&interpose_start, &here) != 0
        && switches.dli_fbase != here.dli_fbase) {
        static const char message[] =
            "lockorder: interpose: this program links lockorder's checker itself; the preloaded interposer "
            "stays off (its own locks are checked by the linked checker)\n";
        (void)!write(2, message, sizeof message - 1);
        return;
    }
    dl_iterate_phdr(note_runtime_module, (void *)&interpose_start);
    pthread_atfork(fork_prepare, fork_resume, fork_resume);
    __atomic_store_n(&interpose_active, 1, __ATOMIC_RELEASE);
}
