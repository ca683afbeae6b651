// The per-thread state layout: the held-lock stack and the chain cache, in a C `__thread`
// variable.
//
// Per-thread state lives in C because a `__thread` variable reached through a `static inline`
// accessor compiles to one thread-pointer-relative address computation, where Swift's
// alternatives (pthread_getspecific, a global var) cost several times more on the lock fast path,
// and Swift 6 rejects a C `__thread` global used directly (not concurrency-safe).
#ifndef LOCKORDER_THREAD_STATE_H
#define LOCKORDER_THREAD_STATE_H

#include <stddef.h>
#include <stdint.h>

/// How many locks one thread can hold at once and still have each of them checked.
/// Past it, acquisitions are counted as untracked and reported once (bounded and loud).
#define LOCKORDER_HELD_CAPACITY 48

/// How many locks acquired past LOCKORDER_HELD_CAPACITY are remembered by id.
#define LOCKORDER_UNTRACKED_CAPACITY 16

/// How many chains of held lock classes one thread remembers as already checked against the
/// learned order graph (a direct-mapped cache; a miss asks the process-wide chain set,
/// LockOrderChainSet.h, before the slow path). 1,024 slots, 8 KiB a thread: issue 14's probe
/// (712 chain keys a thread) costs 878.5 instructions per chain with 512 slots, 857.2 with
/// 1,024, 838.0 with 4,096 (32 KiB a thread), against 784.5 with levels alone, which asks no
/// cache: doubling takes half of what a cache of any size can take back, for 4 KiB more in every
/// thread's TLS block (docs/performance.md, "The chain cache's size").
#define LOCKORDER_CHAIN_CACHE_SIZE 1024

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
    /// (the slow path zeroes it meanwhile). One compare instead of three. While holds are timed
    /// it holds the epoch marked (`lockorder_open_gate`): the full calls still pass, the inlined
    /// fast-path calls do not.
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
    /// The Swift task that made each acquisition in `held` (same index; 0 outside a task), kept
    /// apart so a held entry stays one cache line. Moves with its entry.
    uint64_t held_task[LOCKORDER_HELD_CAPACITY];
    /// Non-zero once the thread is in the checker's thread registry (docs/locks.md, async code).
    uint64_t registered;
    /// Non-zero once the checker has seen this thread run a Swift task (on a slow path or when
    /// its gate opened). Only then does the fast path ask the runtime for the current task; until
    /// then every `held_task` slot of the thread is 0.
    uint64_t runs_tasks;
    /// Beside each held entry, when it was acquired (monotonic nanoseconds), written only while
    /// holds are timed (lockorder_timing()); kept out of the 64-byte entry. Moves with its entry.
    uint64_t held_since[LOCKORDER_HELD_CAPACITY];
    /// The thread's contention statistics (a retained Swift object), created on first use.
    void *stats;
} lockorder_thread_state;

// initial-exec: one %fs-relative access instead of a call to __tls_get_addr. It holds for
// executables and for libraries loaded at start-up (not for a library opened with dlopen).
extern __thread lockorder_thread_state lockorder_thread_state_storage
    __attribute__((tls_model("initial-exec")));

/// The calling thread's checker state.
static inline lockorder_thread_state *lockorder_current_thread_state(void) {
    return &lockorder_thread_state_storage;
}

/// The first entry of a thread's held-lock stack (Swift sees the C array as a tuple).
static inline lockorder_held_lock *lockorder_held_locks(lockorder_thread_state *state) {
    return state->held;
}

/// The first slot of a thread's held-task array (parallel to `held`).
static inline uint64_t *lockorder_held_tasks(lockorder_thread_state *state) {
    return state->held_task;
}

/// When each held entry was acquired (see `held_since`).
static inline uint64_t *lockorder_held_since(lockorder_thread_state *state) {
    return state->held_since;
}

#endif
