// C support for LockOrderChecker: the per-thread held-lock stack and the symbol lookups that
// Swift cannot reach by itself.
//
// Per-thread state lives in a C `__thread` variable reached through a `static inline`
// accessor: that compiles to one thread-pointer-relative address computation, where Swift's
// alternatives (pthread_getspecific, a global var) cost several times more on the lock fast path.
#ifndef LOCKORDER_CLOCKORDERSUPPORT_H
#define LOCKORDER_CLOCKORDERSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// The fast-path functions are inlined into Swift callers whatever their size: an out-of-line
/// call would cost more than the bookkeeping it does.
#define LOCKORDER_FAST_INLINE static inline __attribute__((always_inline))

/// How many locks one thread can hold at once and still have each of them checked.
/// Past it, acquisitions are counted as untracked and reported once (bounded and loud).
#define LOCKORDER_HELD_CAPACITY 48

/// How many locks acquired past LOCKORDER_HELD_CAPACITY are remembered by id.
#define LOCKORDER_UNTRACKED_CAPACITY 16

/// How many chains of held lock classes one thread remembers as already checked against the
/// learned order graph (a direct-mapped cache, as lockdep's chain hash).
#define LOCKORDER_CHAIN_CACHE_SIZE 64

/// One lock this thread holds, as the checker recorded it when it was acquired. 64 bytes.
///
/// The `chain`, `id_mask` and `min_level` fields summarise the entries below and including this
/// one, so an acquisition made while holding locks reads the top entry only: O(1) whatever the
/// depth. They are recomputed when an entry leaves from the middle of the stack.
typedef struct lockorder_held_lock {
    uint64_t lock_id;      ///< instance id: unique for the process lifetime, never reused
    const uint8_t *file;   ///< #fileID of the acquisition (a static string)
    uint64_t chain;        ///< hash of the classes (and modes) held up to this entry: lockdep's chain key
    uint64_t id_mask;      ///< OR of 1 << (lock_id % 64) up to this entry: "maybe held" filter
    // The fields below come in 8-byte groups that the fast path writes with one store each.
    uint32_t line;         ///< #line of the acquisition
    uint32_t class_id;
    uint32_t name_id;
    uint16_t level;        ///< the class's declared level when acquired (0 = undeclared)
    uint16_t min_level;    ///< lowest non-zero level up to this entry (0 = none)
    uint16_t file_length;  ///< #fileID's length (file IDs are short: Module/File.swift)
    uint8_t kind;          ///< LockKind raw value
    uint8_t flags;         ///< LOCKORDER_HELD_* bits
    uint32_t recursion;    ///< extra holds by this thread (0 = held once)
    uint64_t order_key;    ///< instance-order key (written only with LOCKORDER_HELD_HAS_ORDER_KEY)
} lockorder_held_lock;

// One entry a cache line: the fast path touches one line per acquisition.
_Static_assert(sizeof(lockorder_held_lock) == 64, "a held entry is one 64-byte cache line");
_Static_assert(offsetof(lockorder_held_lock, line) == 32 && offsetof(lockorder_held_lock, name_id) == 40
                   && offsetof(lockorder_held_lock, file_length) == 48,
               "the grouped fields start on 8-byte boundaries");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the grouped stores assume little-endian fields");

/// Stores two adjacent 32-bit fields (`low` first in memory) with one 8-byte store.
LOCKORDER_FAST_INLINE void lockorder_store_pair(void *first_field, uint32_t low, uint32_t high) {
    uint64_t both = (uint64_t)low | ((uint64_t)high << 32);
    __builtin_memcpy(first_field, &both, sizeof both);
}

enum {
    LOCKORDER_HELD_SHARED = 1,         ///< held in shared (read) mode
    LOCKORDER_HELD_TRYLOCK = 2,        ///< acquired by a successful trylock
    LOCKORDER_HELD_HAS_ORDER_KEY = 4,  ///< order_key is meaningful
};

/// Everything the checker keeps per thread. Zero-initialised by the C runtime for every thread.
typedef struct lockorder_thread_state {
    uint32_t depth;             ///< entries in use in `held`
    uint32_t untracked;         ///< acquisitions not recorded because `held` was full
    uint64_t serial;            ///< this thread's checker serial (0 until first use)
    /// Equal to the global checking epoch exactly when the fast path may run: checking is on,
    /// the held stack belongs to this epoch, and the checker is not running on this thread
    /// (the slow path zeroes it meanwhile). One compare instead of three.
    uint64_t gate;
    uint64_t epoch;             ///< the checking epoch the held stack belongs to
    uint32_t in_checker;        ///< nesting depth of the checker's own slow paths on this thread
    uint32_t exit_hook_armed;   ///< the thread-exit destructor is registered
    uint64_t chain_epoch;       ///< graph epoch the chain cache is valid for
    uint64_t chain_cache[LOCKORDER_CHAIN_CACHE_SIZE];
    /// Ids of locks acquired while `held` was full, so that their releases can be told from
    /// releases of locks this thread does not hold. Past this too, only `untracked` counts.
    uint64_t untracked_ids[LOCKORDER_UNTRACKED_CAPACITY];
    uint64_t padding[2];  ///< puts `held` at a multiple of 64 bytes (the variable is 64-aligned)
    lockorder_held_lock held[LOCKORDER_HELD_CAPACITY];
} lockorder_thread_state;

// initial-exec: one %fs-relative access instead of a call to __tls_get_addr. It holds for
// executables and for libraries loaded at start-up (not for a library opened with dlopen).
extern __thread lockorder_thread_state lockorder_thread_state_storage
    __attribute__((tls_model("initial-exec")));

/// Process-wide switches read on every lock operation. Each is one plain load (relaxed atomic);
/// they are written rarely, under the checker's own lock.
enum {
    LOCKORDER_MODE_OFF = 0,
    LOCKORDER_MODE_REPORT = 1,
    LOCKORDER_MODE_ABORT = 2,
    LOCKORDER_MODE_UNCONFIGURED = 0xFF,  ///< the environment has not been read yet
};
typedef struct lockorder_switches {
    uint64_t epoch;           ///< see lockorder_epoch()
    uint64_t graph_epoch;     ///< see lockorder_graph_epoch()
    uint64_t generation;      ///< the last epoch handed out (epochs are never reused)
    uint8_t mode;             ///< LOCKORDER_MODE_*
    uint8_t learning;         ///< see lockorder_learning()
} lockorder_switches;

/// The switches, alone on their cache line: every lock operation reads them, and no write to
/// a neighbouring variable can then make two threads' lock operations contend for that line.
extern struct lockorder_switches_line {
    lockorder_switches value;
    uint8_t padding[64 - sizeof(lockorder_switches)];
} lockorder_switches_storage __attribute__((aligned(64)));

#define lockorder_mode_storage (lockorder_switches_storage.value.mode)
#define lockorder_learning_storage (lockorder_switches_storage.value.learning)
#define lockorder_epoch_storage (lockorder_switches_storage.value.epoch)
#define lockorder_epoch_generation_storage (lockorder_switches_storage.value.generation)
#define lockorder_graph_epoch_storage (lockorder_switches_storage.value.graph_epoch)

static inline uint8_t lockorder_mode(void) {
    return __atomic_load_n(&lockorder_mode_storage, __ATOMIC_RELAXED);
}
/// The checking epoch while checking is off. No thread's gate ever holds it (gates hold 0 or
/// an epoch checking was on in), so every gate compare fails while it is set.
#define LOCKORDER_EPOCH_OFF UINT64_MAX

/// The checking epoch: changes whenever checking is (re)started, so that a thread whose held
/// stack belongs to an older epoch discards it; LOCKORDER_EPOCH_OFF exactly when checking is
/// off, so that lock types read one word to choose between their raw path and their checked one.
static inline uint64_t lockorder_epoch(void) {
    return __atomic_load_n(&lockorder_epoch_storage, __ATOMIC_ACQUIRE);
}
/// Whether `epoch` (from `lockorder_epoch()`) says checking is off.
static inline int lockorder_epoch_is_off(uint64_t epoch) {
    return epoch == LOCKORDER_EPOCH_OFF;
}
/// Starts a new checking epoch (never one used before), or stays off while checking is off.
static inline void lockorder_advance_epoch(void) {
    uint64_t next = __atomic_add_fetch(&lockorder_epoch_generation_storage, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&lockorder_mode_storage, __ATOMIC_RELAXED) != LOCKORDER_MODE_OFF) {
        __atomic_store_n(&lockorder_epoch_storage, next, __ATOMIC_RELEASE);
    }
}
/// Sets the mode; the epoch follows it: off when checking is off, a new one when checking comes
/// back on.
static inline void lockorder_set_mode(uint8_t mode) {
    __atomic_store_n(&lockorder_mode_storage, mode, __ATOMIC_RELAXED);
    if (mode == LOCKORDER_MODE_OFF) {
        __atomic_store_n(&lockorder_epoch_storage, LOCKORDER_EPOCH_OFF, __ATOMIC_RELEASE);
    } else if (lockorder_epoch() == LOCKORDER_EPOCH_OFF) {
        lockorder_advance_epoch();
    }
}
/// Non-zero when the learned order graph is on (LOCKORDER_LEARN).
static inline uint8_t lockorder_learning(void) {
    return __atomic_load_n(&lockorder_learning_storage, __ATOMIC_RELAXED);
}
static inline void lockorder_set_learning(uint8_t learning) {
    __atomic_store_n(&lockorder_learning_storage, learning, __ATOMIC_RELAXED);
}
/// Changes whenever edges leave the learned graph: per-thread chain caches are then stale.
static inline uint64_t lockorder_graph_epoch(void) {
    return __atomic_load_n(&lockorder_graph_epoch_storage, __ATOMIC_ACQUIRE);
}
static inline void lockorder_advance_graph_epoch(void) {
    __atomic_fetch_add(&lockorder_graph_epoch_storage, 1, __ATOMIC_RELEASE);
}

/// How many lock classes the checker can tell apart (a power of two).
#define LOCKORDER_CLASS_CAPACITY 65536

/// Each class's declared level (0 = undeclared), indexed by class id; written under the
/// checker's lock when a class is created or the hierarchy changes, read on every acquisition.
extern uint16_t lockorder_class_level_storage[LOCKORDER_CLASS_CAPACITY];

static inline uint16_t lockorder_class_level(uint32_t class_id) {
    return __atomic_load_n(&lockorder_class_level_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)],
                           __ATOMIC_RELAXED);
}
/// Whether each class is an instance class (`LockClass.instance`), indexed by class id: a lock
/// keeps its identity in 16 bytes by asking here instead of storing the flag.
extern uint8_t lockorder_class_is_instance_storage[LOCKORDER_CLASS_CAPACITY];

static inline int lockorder_class_is_instance(uint32_t class_id) {
    return __atomic_load_n(&lockorder_class_is_instance_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)],
                           __ATOMIC_RELAXED);
}
static inline void lockorder_set_class_is_instance(uint32_t class_id, int is_instance) {
    __atomic_store_n(&lockorder_class_is_instance_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)],
                     (uint8_t)(is_instance != 0), __ATOMIC_RELAXED);
}

/// Non-zero once any lock has been given an instance-order key: until then, destroying a lock
/// need not tell the checker to forget one.
extern uint8_t lockorder_order_keys_used_storage;

static inline int lockorder_order_keys_used(void) {
    return __atomic_load_n(&lockorder_order_keys_used_storage, __ATOMIC_RELAXED);
}
static inline void lockorder_note_order_keys_used(void) {
    __atomic_store_n(&lockorder_order_keys_used_storage, 1, __ATOMIC_RELAXED);
}

static inline void lockorder_set_class_level(uint32_t class_id, uint16_t level) {
    __atomic_store_n(&lockorder_class_level_storage[class_id & (LOCKORDER_CLASS_CAPACITY - 1)], level,
                     __ATOMIC_RELAXED);
}

/// For each implicit-acquisition option bit, the level of the lock it implicitly acquires in
/// the active hierarchy (0 = none). Written under the checker's lock when an option is first
/// used or the hierarchy changes.
extern uint16_t lockorder_option_level_storage[8];

static inline void lockorder_set_option_level(uint32_t bit_index, uint16_t level) {
    __atomic_store_n(&lockorder_option_level_storage[bit_index & 7], level, __ATOMIC_RELAXED);
}

/// The highest level among the locks that `option_bits` implicitly acquire (0 = none).
LOCKORDER_FAST_INLINE uint16_t lockorder_implicit_level(uint8_t option_bits) {
    uint16_t highest = 0;
    for (uint32_t bit = 0; option_bits != 0; bit++, option_bits >>= 1) {
        if (option_bits & 1) {
            uint16_t level = __atomic_load_n(&lockorder_option_level_storage[bit], __ATOMIC_RELAXED);
            if (level > highest) highest = level;
        }
    }
    return highest;
}

/// Whether an implicit acquisition at `implicit_level` conflicts with a held stack whose lowest
/// level is `min_level` (the level rule: only strictly lower levels under a held lock).
LOCKORDER_FAST_INLINE int lockorder_implicit_conflicts(uint16_t implicit_level, uint16_t min_level) {
    return implicit_level != 0 && min_level != 0 && min_level <= implicit_level;
}

/// The calling thread's checker state.
static inline lockorder_thread_state *lockorder_current_thread_state(void) {
    return &lockorder_thread_state_storage;
}

// MARK: The fast path
//
// The checker's steady-state work per lock operation, written in C so that it compiles to a
// handful of instructions wherever Swift inlines it. Each function answers 0 when the fast path
// did everything, or a LOCKORDER_SLOW_* reason for the Swift slow path to handle. The rules
// themselves (levels, exceptions, the learned order) live in Swift; this is bookkeeping only.

enum {
    LOCKORDER_FAST_DONE = 0,
    LOCKORDER_SLOW_GATE = 1,     ///< the gate is closed: configure, start the thread, or stay off
    LOCKORDER_SLOW_SCAN = 2,     ///< maybe a re-entry, a level conflict or an implicit acquisition
    LOCKORDER_SLOW_LEARN = 3,    ///< a chain of held classes this thread has not checked yet
    LOCKORDER_SLOW_REENTRY = 4,  ///< maybe another hold of a lock already held
    LOCKORDER_SLOW_FULL = 5,     ///< the held stack is full
    LOCKORDER_SLOW_RELEASE = 6,  ///< not the top entry, a re-entry, an option, or not held
};

#define LOCKORDER_CHAIN_SEED 0xcbf29ce484222325ull

/// Extends a chain key by one held class (and whether it is held shared).
LOCKORDER_FAST_INLINE uint64_t lockorder_chain_mix(uint64_t hash, uint32_t class_id, int shared) {
    uint64_t value = hash ^ (((uint64_t)class_id << 1) | (shared ? 1u : 0u));
    value = (value ^ (value >> 31)) * 0x7fb5d329728ea185ull;
    return value ^ (value >> 27);
}

LOCKORDER_FAST_INLINE uint16_t lockorder_lower_level(uint16_t first, uint16_t second) {
    if (first == 0) return second;
    if (second == 0) return first;
    return first < second ? first : second;
}

/// Intent: clears an acquisition that breaks no rule and whose chain was seen before, when the
/// thread's gate is open in `epoch` (the value of `lockorder_epoch()` the caller read).
LOCKORDER_FAST_INLINE int lockorder_fast_will_acquire_in(uint64_t epoch, uint64_t lock_id, uint32_t class_id,
                                                         uint8_t option_bits, int shared, int trylock) {
    lockorder_thread_state *state = &lockorder_thread_state_storage;
    if (__builtin_expect(state->gate != epoch, 0)) return LOCKORDER_SLOW_GATE;
    uint32_t depth = state->depth;
    if (depth == 0) return LOCKORDER_FAST_DONE;
    const lockorder_held_lock *top = &state->held[depth - 1];
    // Maybe a re-entry or a self-deadlock: decided per instance, never cached.
    if ((top->id_mask & (1ull << (lock_id & 63))) != 0) return LOCKORDER_SLOW_SCAN;
    if (trylock) return LOCKORDER_FAST_DONE;  // a trylock cannot deadlock: no order rule applies
    uint16_t level = lockorder_class_level(class_id);
    int needs_rules = (level != 0 && top->min_level != 0 && top->min_level <= level)
        || (option_bits != 0 && lockorder_implicit_conflicts(lockorder_implicit_level(option_bits), top->min_level));
    int learning = lockorder_learning();
    if (!needs_rules && !learning) return LOCKORDER_FAST_DONE;
    // A chain the slow path checked before and found allowed (by the learned order, by a guard
    // exception, or with its implicit acquisitions) needs nothing more: the verdict depends on
    // the classes held and their modes only.
    uint64_t chain = lockorder_chain_mix(top->chain, class_id, shared);
    if (state->chain_epoch == lockorder_graph_epoch()
        && state->chain_cache[chain & (LOCKORDER_CHAIN_CACHE_SIZE - 1)] == chain) {
        return LOCKORDER_FAST_DONE;
    }
    return needs_rules ? LOCKORDER_SLOW_SCAN : LOCKORDER_SLOW_LEARN;
}

/// Intent: clears an acquisition that breaks no rule and whose chain was seen before.
LOCKORDER_FAST_INLINE int lockorder_fast_will_acquire(uint64_t lock_id, uint32_t class_id, uint8_t option_bits,
                                                      int shared, int trylock) {
    return lockorder_fast_will_acquire_in(lockorder_epoch(), lock_id, class_id, option_bits, shared, trylock);
}

/// Writes the entry of an acquisition into the first free slot of the held stack, with the
/// summaries of the stack below, without counting it. Changes nothing when it answers a
/// LOCKORDER_SLOW_* reason: the lock may already be held (`may_be_held_twice`), or the stack is
/// full.
LOCKORDER_FAST_INLINE int lockorder_fast_write_entry(uint64_t lock_id, uint32_t class_id, uint32_t name_id,
                                                     uint8_t kind, uint8_t flags, uint64_t order_key,
                                                     const uint8_t *file, uint32_t file_length, uint32_t line,
                                                     int may_be_held_twice) {
    lockorder_thread_state *state = &lockorder_thread_state_storage;
    uint32_t depth = state->depth;
    uint64_t id_bit = 1ull << (lock_id & 63);
    uint64_t chain = LOCKORDER_CHAIN_SEED;
    uint64_t id_mask = 0;
    uint16_t min_level = 0;
    if (depth > 0) {
        const lockorder_held_lock *top = &state->held[depth - 1];
        if (may_be_held_twice && (top->id_mask & id_bit) != 0) return LOCKORDER_SLOW_REENTRY;
        chain = top->chain;
        id_mask = top->id_mask;
        min_level = top->min_level;
    }
    if (__builtin_expect(depth >= LOCKORDER_HELD_CAPACITY, 0)) return LOCKORDER_SLOW_FULL;
    uint16_t level = lockorder_class_level(class_id);
    lockorder_held_lock *entry = &state->held[depth];
    entry->lock_id = lock_id;
    entry->file = file;
    entry->chain = lockorder_chain_mix(chain, class_id, flags & LOCKORDER_HELD_SHARED);
    entry->id_mask = id_mask | id_bit;
    // Seven stores instead of thirteen.
    lockorder_store_pair(&entry->line, line, class_id);
    lockorder_store_pair(&entry->name_id, name_id,
                         (uint32_t)level | ((uint32_t)lockorder_lower_level(min_level, level) << 16));
    uint16_t short_length = (uint16_t)(file_length > UINT16_MAX ? UINT16_MAX : file_length);
    lockorder_store_pair(&entry->file_length,
                         (uint32_t)short_length | ((uint32_t)kind << 16) | ((uint32_t)flags << 24), 0);
    if (flags & LOCKORDER_HELD_HAS_ORDER_KEY) entry->order_key = order_key;
    return LOCKORDER_FAST_DONE;
}

/// Acquired: pushes the lock on the held stack, when the gate is open. Changes nothing when it
/// answers a LOCKORDER_SLOW_* reason.
LOCKORDER_FAST_INLINE int lockorder_fast_did_acquire(uint64_t lock_id, uint32_t class_id, uint32_t name_id,
                                                     uint8_t kind, uint8_t flags, uint64_t order_key,
                                                     const uint8_t *file, uint32_t file_length, uint32_t line,
                                                     int may_be_held_twice) {
    lockorder_thread_state *state = &lockorder_thread_state_storage;
    if (__builtin_expect(state->gate != lockorder_epoch(), 0)) return LOCKORDER_SLOW_GATE;
    int verdict = lockorder_fast_write_entry(lock_id, class_id, name_id, kind, flags, order_key, file, file_length,
                                             line, may_be_held_twice);
    if (verdict == LOCKORDER_FAST_DONE) state->depth += 1;
    return verdict;
}

/// Intent and record in one, for lock types that inline them around the raw lock operation:
/// when the acquisition needs nothing more checked, writes its entry into the first free slot
/// of the held stack, not yet counted, and answers that slot's index (the depth, >= 0); the
/// caller then takes the raw lock and, holding it, calls `lockorder_fast_commit` with it (or,
/// when a trylock fails, nothing: the slot is free again). Otherwise changes nothing and answers
/// minus a LOCKORDER_SLOW_* reason.
///
/// Everything is loaded and computed before the raw lock, so that after its atomic instruction
/// only a compare and one store remain.
LOCKORDER_FAST_INLINE int lockorder_fast_prepare(uint64_t epoch, uint64_t lock_id, uint32_t class_id,
                                                 uint32_t name_id, uint8_t kind, uint8_t option_bits, uint8_t flags,
                                                 uint64_t order_key, const uint8_t *file, uint32_t file_length,
                                                 uint32_t line) {
    int verdict = lockorder_fast_will_acquire_in(epoch, lock_id, class_id, option_bits,
                                                 flags & LOCKORDER_HELD_SHARED, flags & LOCKORDER_HELD_TRYLOCK);
    if (verdict != LOCKORDER_FAST_DONE) return -verdict;
    // The intent ruled out a lock already held (its id is not in the held mask).
    verdict = lockorder_fast_write_entry(lock_id, class_id, name_id, kind, flags, order_key, file, file_length, line,
                                         0);
    if (verdict != LOCKORDER_FAST_DONE) return -verdict;
    return (int)lockorder_thread_state_storage.depth;
}

/// Counts the entry `lockorder_fast_prepare` wrote in `epoch` at `depth`: the calling thread now
/// holds the lock. Counts nothing and answers a LOCKORDER_SLOW_* reason when that entry is no
/// longer the next one: checking restarted or stopped while the thread waited for the raw lock
/// (the entry belongs to a stack the next operation discards; only this thread changes its
/// gate, so comparing the epochs is enough), or the raw lock was itself a checked lock, whose
/// own entry took the slot. The caller then records the hold through the full `didAcquire`.
LOCKORDER_FAST_INLINE int lockorder_fast_commit(uint64_t epoch, uint32_t depth) {
    lockorder_thread_state *state = &lockorder_thread_state_storage;
    if (__builtin_expect(lockorder_epoch() != epoch || state->depth != depth, 0)) return LOCKORDER_SLOW_SCAN;
    state->depth = depth + 1;
    return LOCKORDER_FAST_DONE;
}

/// Released: pops the lock when it is the most recent hold, in the same mode, held once, and
/// the thread's gate is open in `epoch` (the value of `lockorder_epoch()` the caller read).
LOCKORDER_FAST_INLINE int lockorder_fast_will_release_in(uint64_t epoch, uint64_t lock_id, int shared,
                                                         uint8_t option_bits) {
    lockorder_thread_state *state = &lockorder_thread_state_storage;
    if (__builtin_expect(state->gate != epoch, 0)) return LOCKORDER_SLOW_GATE;
    uint32_t depth = state->depth;
    if (depth == 0) return LOCKORDER_SLOW_RELEASE;
    const lockorder_held_lock *top = &state->held[depth - 1];
    if (top->lock_id != lock_id || top->recursion != 0
        || ((top->flags & LOCKORDER_HELD_SHARED) != 0) != (shared != 0)) {
        return LOCKORDER_SLOW_RELEASE;
    }
    // A release with an implicit acquisition (Julia's JL_UNLOCK is a safepoint) conflicts only
    // with what stays held.
    if (option_bits != 0 && depth > 1
        && lockorder_implicit_conflicts(lockorder_implicit_level(option_bits), state->held[depth - 2].min_level)) {
        return LOCKORDER_SLOW_RELEASE;
    }
    state->depth = depth - 1;
    return LOCKORDER_FAST_DONE;
}

/// Released: `lockorder_fast_will_release_in` the current epoch.
LOCKORDER_FAST_INLINE int lockorder_fast_will_release(uint64_t lock_id, int shared, uint8_t option_bits) {
    return lockorder_fast_will_release_in(lockorder_epoch(), lock_id, shared, option_bits);
}

/// The first entry of a thread's held-lock stack (Swift sees the C array as a tuple).
static inline lockorder_held_lock *lockorder_held_locks(lockorder_thread_state *state) {
    return state->held;
}

/// The first slot of a thread's chain cache.
static inline uint64_t *lockorder_chain_cache(lockorder_thread_state *state) {
    return state->chain_cache;
}

/// The name of the function containing `address` and the offset into it, from the binary's
/// symbol tables through libunwind. Returns 0 on success.
int lockorder_symbol_name(uintptr_t address, char *name, size_t capacity, uintptr_t *offset);

/// The path and load address of the module (executable or shared object) containing
/// `address`, through dladdr. Returns 0 on success; `*path` points into the loader's data.
int lockorder_module_of(uintptr_t address, const char **path, uintptr_t *base);

/// The module containing `address` as a symbolizer needs it: its path and its load bias (the
/// runtime address of the file's address 0, which differs from the load address for a non-PIE
/// executable). `*is_main_program` is 1 for the executable itself, whose dladdr path is argv[0]
/// rather than a path that can be opened. Returns 0 on success.
int lockorder_module_bias(uintptr_t address, const char **path, uintptr_t *bias, int *is_main_program);

/// The calling thread's kernel thread id.
int64_t lockorder_thread_id(void);

/// The calling thread's name (pthread_getname_np, which Swift's Glibc module does not expose).
/// Returns 0 on success.
int lockorder_thread_name(char *name, size_t capacity);

/// Tells the CPU the caller is spinning (x86 `pause`), so a spin lock's waiting loop yields the
/// core's resources to its sibling thread.
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
int lockorder_mutex_timed_lock(void *mutex, int64_t timeout_nanoseconds);
int lockorder_rwlock_timed_read_lock(void *rwlock, int64_t timeout_nanoseconds);
int lockorder_rwlock_timed_write_lock(void *rwlock, int64_t timeout_nanoseconds);

/// Initialises a reader-writer lock; `prefer_writers` selects glibc's writer-preferring
/// (non-recursive) kind instead of the default reader-preferring one.
int lockorder_rwlock_init(void *rwlock, int prefer_writers);

#endif
