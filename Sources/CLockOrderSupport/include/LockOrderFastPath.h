// The fast path: the checker's steady-state work per lock operation, written in C so that it
// compiles to a handful of instructions wherever Swift inlines it.
//
// The rule of the C boundary: C filters, Swift decides. The functions here clear only what is
// certainly allowed (no held lock can conflict with the acquisition and no implicit acquisition
// can, or the chain of held classes was found allowed before) and keep the held stack's
// bookkeeping. Anything else they answer with a LOCKORDER_SLOW_* reason, having changed nothing,
// and the Swift slow path decides: which rule applies, whether an exception or the learned order
// allows it, and how the report words it. No rule's verdict and no report text lives in C.
//
// The few predicates the filter and the decider must agree on (does a held level conflict with
// an acquisition, does an implicit acquisition conflict, was this chain found allowed) are spelt
// once, in the "Shared predicates" section below, as `static inline` functions that the Swift
// slow path calls too: a filter that disagreed with the decider would clear what a rule forbids.
#ifndef LOCKORDER_FAST_PATH_H
#define LOCKORDER_FAST_PATH_H

#include <stdbool.h>
#include <stdint.h>

#include "LockOrderChainSet.h"
#include "LockOrderClassTables.h"
#include "LockOrderSwitches.h"
#include "LockOrderThreadState.h"

/// The fast-path functions are inlined into Swift callers whatever their size: an out-of-line
/// call would cost more than the bookkeeping it does. None releases a Swift object
/// (`LOCKORDER_RELEASES_NOTHING`).
#define LOCKORDER_FAST_INLINE static inline __attribute__((always_inline)) LOCKORDER_RELEASES_NOTHING

// MARK: Shared predicates: the one spelling the fast path and the Swift slow path both call

/// Whether acquiring a lock of level `acquiring_level` while holding one of level `held_level`
/// conflicts with the level rule (only strictly lower levels under a held lock): both levels are
/// declared (non-zero) and the held one is not higher. Given the lowest held level (a held
/// entry's `min_level`), it answers for every lock held up to that entry. Whether a conflict is an
/// inversion or a same-level acquisition, and whether an exception allows it, Swift decides.
LOCKORDER_FAST_INLINE bool lockorder_level_conflicts(uint16_t held_level, uint16_t acquiring_level) {
    return acquiring_level != 0 && held_level != 0 && held_level <= acquiring_level;
}

/// Whether an implicit acquisition of a lock of level `implicit_level` (0 = none) conflicts with
/// holding a lock of level `held_level` (or, given a `min_level`, with every lock held up to that
/// entry): an implicit acquisition is an acquisition at its lock's level, under the same rule.
LOCKORDER_FAST_INLINE bool lockorder_implicit_conflicts(uint16_t implicit_level, uint16_t held_level) {
    return lockorder_level_conflicts(held_level, implicit_level);
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

/// Whether an operation with `option_bits` on a lock of level `level` conflicts with its own
/// implicit acquisition, which happens with the lock itself held (Julia: a level 1 lock taken or
/// released with JL_LOCK/JL_UNLOCK takes safepoint_lock, level 1, under itself; the _NOGC
/// variants do not). Nothing is read unless `option_bits` is non-zero.
LOCKORDER_FAST_INLINE bool lockorder_implicit_conflicts_with_own_level(uint8_t option_bits, uint16_t level) {
    return option_bits != 0 && lockorder_implicit_conflicts(lockorder_implicit_level(option_bits), level);
}

/// The lower of two levels, where 0 (undeclared) is no level: a held entry's `min_level`.
LOCKORDER_FAST_INLINE uint16_t lockorder_lower_level(uint16_t first, uint16_t second) {
    if (first == 0) return second;
    if (second == 0) return first;
    return first < second ? first : second;
}

/// The chain key of an empty held stack.
#define LOCKORDER_CHAIN_SEED 0xcbf29ce484222325ull

/// Extends a chain key by one held class (and whether it is held shared).
LOCKORDER_FAST_INLINE uint64_t lockorder_chain_mix(uint64_t hash, uint32_t class_id, int shared) {
    uint64_t value = hash ^ (((uint64_t)class_id << 1) | (shared ? 1u : 0u));
    value = (value ^ (value >> 31)) * 0x7fb5d329728ea185ull;
    return value ^ (value >> 27);
}

/// Extends a chain key by one held lock: its class, and for a class whose locks nest with each
/// other (`entry` has LOCKORDER_CLASS_NESTS_ITSELF) the lock's id too (R32).
LOCKORDER_FAST_INLINE uint64_t lockorder_chain_mix_lock(uint64_t hash, uint32_t class_id, uint64_t lock_id,
                                                        uint16_t entry, int shared) {
    if (__builtin_expect((entry & LOCKORDER_CLASS_NESTS_ITSELF) != 0, 0)) hash ^= lock_id * 0x9e3779b97f4a7c15ull;
    return lockorder_chain_mix(hash, class_id, shared);
}

/// Whether the slow path found `chain` allowed before, in the current graph epoch (the chain
/// cache's lookup).
LOCKORDER_FAST_INLINE bool lockorder_chain_is_cached(const lockorder_thread_state *state, uint64_t chain) {
    return state->chain_epoch == lockorder_graph_epoch()
        && state->chain_cache[chain & (LOCKORDER_CHAIN_CACHE_SIZE - 1)] == chain;
}

/// Remembers `chain` as allowed in graph epoch `graph_epoch`, the one the verdict was made in
/// (read where it was made: a verdict of an older epoch then never hits); clears the cache
/// first when it holds chains of another graph epoch.
static inline void lockorder_chain_remember_in(lockorder_thread_state *state, uint64_t chain, uint64_t graph_epoch) {
    if (state->chain_epoch != graph_epoch) {
        __builtin_memset(state->chain_cache, 0, sizeof state->chain_cache);
        state->chain_epoch = graph_epoch;
    }
    state->chain_cache[chain & (LOCKORDER_CHAIN_CACHE_SIZE - 1)] = chain;
}

/// Remembers `chain` as allowed, in this thread's cache and in the process-wide set (the slow
/// path calls it once a chain passed every rule, with the graph epoch and the learning switch it
/// read where it decided, under the checker's lock).
static inline void lockorder_chain_remember(lockorder_thread_state *state, uint64_t chain, uint64_t graph_epoch,
                                            uint8_t learning) {
    lockorder_chain_remember_in(state, chain, graph_epoch);
    lockorder_chain_share(chain, state->epoch, graph_epoch, learning);
}

/// Whether `chain` was found allowed before, by this thread (its cache) or by any thread (the
/// process-wide set, which then fills this thread's cache), in the thread's checking epoch (the
/// fast intent spells the same two steps out).
static inline bool lockorder_chain_is_known(lockorder_thread_state *state, uint64_t chain, uint64_t epoch,
                                                    uint8_t learning) {
    return lockorder_chain_is_cached(state, chain) || lockorder_chain_is_shared(state, chain, epoch, learning);
}

// MARK: The fast-path calls
//
// Each answers LOCKORDER_FAST_DONE (0) when it did everything, or a LOCKORDER_SLOW_* reason for
// the Swift slow path to handle.

enum {
    LOCKORDER_FAST_DONE = 0,
    LOCKORDER_SLOW_GATE = 1,     ///< the gate is closed: configure, start the thread, or stay off
    LOCKORDER_SLOW_SCAN = 2,     ///< maybe a re-entry, a level conflict or an implicit acquisition
    LOCKORDER_SLOW_LEARN = 3,    ///< a chain of held classes this thread has not checked yet
    LOCKORDER_SLOW_REENTRY = 4,  ///< maybe another hold of a lock already held
    LOCKORDER_SLOW_FULL = 5,     ///< the held stack is full
    LOCKORDER_SLOW_RELEASE = 6,  ///< not the top entry, a re-entry, an option, or not held
};

/// Stores two adjacent 32-bit fields (`low` first in memory) with one 8-byte store.
LOCKORDER_FAST_INLINE void lockorder_store_pair(void *first_field, uint32_t low, uint32_t high) {
    uint64_t both = (uint64_t)low | ((uint64_t)high << 32);
    __builtin_memcpy(first_field, &both, sizeof both);
}

/// Intent: clears an acquisition that certainly breaks no rule and whose chain was seen before,
/// when the thread's gate equals `gate`: the value of `lockorder_epoch()` an inlined call read,
/// or `lockorder_open_gate` of it for the full calls (which also run while holds are timed).
LOCKORDER_FAST_INLINE int lockorder_fast_will_acquire_in(uint64_t gate, uint64_t lock_id, uint32_t class_id,
                                                         uint8_t option_bits, int shared, int trylock) {
    lockorder_thread_state *state = &lockorder_thread_state_storage;
    if (__builtin_expect(state->gate != gate, 0)) return LOCKORDER_SLOW_GATE;
    uint32_t depth = state->depth;
    if (depth == 0) {
        // Nothing held: only an option whose implicit acquisition conflicts with the lock's own
        // level (a level 1 lock taken with JL_LOCK) needs the rules. A trylock is exempt, as below.
        if (__builtin_expect(option_bits != 0, 0) && !trylock
            && lockorder_implicit_conflicts_with_own_level(option_bits, lockorder_class_level(class_id))) {
            return LOCKORDER_SLOW_SCAN;
        }
        return LOCKORDER_FAST_DONE;
    }
    const lockorder_held_lock *top = &state->held[depth - 1];
    // Maybe a re-entry or a self-deadlock: decided per instance, never cached.
    if ((top->id_mask & (1ull << (lock_id & 63))) != 0) return LOCKORDER_SLOW_SCAN;
    if (trylock) return LOCKORDER_FAST_DONE;  // a trylock cannot deadlock: no order rule applies
    uint16_t class_entry = lockorder_class_entry(class_id);
    uint16_t level = (uint16_t)(class_entry & LOCKORDER_CLASS_LEVEL_MASK);
    // An implicit acquisition that conflicts with a held lock (or with the lock's own level) is
    // always reported (R12), so it is never cleared by a chain cache: the chain key holds classes,
    // not the acquired lock's options, and another lock of the same class without them may have
    // made the chain allowed.
    if (lockorder_implicit_conflicts_with_own_level(option_bits, lockorder_lower_level(top->min_level, level))) {
        return LOCKORDER_SLOW_SCAN;
    }
    bool needs_rules = lockorder_level_conflicts(top->min_level, level);
    int learning = lockorder_learning();
    if (!needs_rules && !learning) return LOCKORDER_FAST_DONE;
    // A chain the slow path checked before and found allowed (by the learned order, by a guard
    // exception, or with its implicit acquisitions) needs nothing more: the verdict depends on
    // the classes held and their modes (and the held locks of a class that nests itself), and the
    // configuration the caches are stamped with (checking epoch, graph epoch, learning) only. A
    // miss of the thread's own cache asks the process-wide set, without a lock, in the epoch the
    // thread's stack belongs to (its gate is open, so that is the current one): only a chain no
    // thread has found allowed, or one that breaks a rule, takes the slow path.
    uint64_t chain = lockorder_chain_mix_lock(top->chain, class_id, lock_id, class_entry, shared);
    if (__builtin_expect(lockorder_chain_is_cached(state, chain), 1)) return LOCKORDER_FAST_DONE;
    if (lockorder_chain_is_shared(state, chain, state->epoch, (uint8_t)learning)) return LOCKORDER_FAST_DONE;
    return needs_rules ? LOCKORDER_SLOW_SCAN : LOCKORDER_SLOW_LEARN;
}

/// Intent: clears an acquisition that breaks no rule and whose chain was seen before.
LOCKORDER_FAST_INLINE int lockorder_fast_will_acquire(uint64_t lock_id, uint32_t class_id, uint8_t option_bits,
                                                      int shared, int trylock) {
    return lockorder_fast_will_acquire_in(lockorder_open_gate(lockorder_epoch()), lock_id, class_id, option_bits,
                                          shared, trylock);
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
    uint16_t class_entry = lockorder_class_entry(class_id);
    uint16_t level = (uint16_t)(class_entry & LOCKORDER_CLASS_LEVEL_MASK);
    lockorder_held_lock *entry = &state->held[depth];
    entry->lock_id = lock_id;
    entry->file = file;
    entry->chain = lockorder_chain_mix_lock(chain, class_id, lock_id, class_entry, flags & LOCKORDER_HELD_SHARED);
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
    if (__builtin_expect(state->gate != lockorder_open_gate(lockorder_epoch()), 0)) return LOCKORDER_SLOW_GATE;
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
/// the thread's gate equals `gate` (as for `lockorder_fast_will_acquire_in`).
LOCKORDER_FAST_INLINE int lockorder_fast_will_release_in(uint64_t gate, uint64_t lock_id, int shared,
                                                         uint8_t option_bits) {
    lockorder_thread_state *state = &lockorder_thread_state_storage;
    if (__builtin_expect(state->gate != gate, 0)) return LOCKORDER_SLOW_GATE;
    uint32_t depth = state->depth;
    if (depth == 0) return LOCKORDER_SLOW_RELEASE;
    const lockorder_held_lock *top = &state->held[depth - 1];
    if (top->lock_id != lock_id || top->recursion != 0
        || ((top->flags & LOCKORDER_HELD_SHARED) != 0) != (shared != 0)) {
        return LOCKORDER_SLOW_RELEASE;
    }
    // A release with an implicit acquisition (Julia's JL_UNLOCK is a safepoint) conflicts with
    // what stays held and with the released lock itself (a level 1 lock released with JL_UNLOCK):
    // the top entry's lowest level covers both.
    if (lockorder_implicit_conflicts_with_own_level(option_bits, top->min_level)) return LOCKORDER_SLOW_RELEASE;
    state->depth = depth - 1;
    return LOCKORDER_FAST_DONE;
}

/// Released: `lockorder_fast_will_release_in` the current epoch.
LOCKORDER_FAST_INLINE int lockorder_fast_will_release(uint64_t lock_id, int shared, uint8_t option_bits) {
    return lockorder_fast_will_release_in(lockorder_open_gate(lockorder_epoch()), lock_id, shared, option_bits);
}

/// The Swift runtime's accessor for the task the calling thread runs (what
/// `withUnsafeCurrentTask` wraps): the task unretained, NULL outside a task. Declared here, with
/// the Swift calling convention it is exported with, because Swift code may not name the
/// runtime's symbols itself.
extern void *swift_task_getCurrent(void) __attribute__((swiftcall));

/// The address of the task the calling thread runs; 0 outside a task.
LOCKORDER_FAST_INLINE uint64_t lockorder_current_task(void) {
    return (uint64_t)(uintptr_t)swift_task_getCurrent();
}

/// Records the task that made the acquisition in slot `slot` of the calling thread's stack, on
/// a thread the checker has seen run a task (`runs_tasks`). Elsewhere it does nothing and asks
/// nothing: asking the runtime costs about 20 instructions (a call into it and its thread-local
/// lookup), more than the rest of a checked acquisition's bookkeeping, and the slot's task is
/// already 0 on such a thread.
LOCKORDER_FAST_INLINE void lockorder_fast_note_task(uint32_t slot) {
    lockorder_thread_state *state = &lockorder_thread_state_storage;
    if (__builtin_expect(state->runs_tasks != 0, 0) && slot < LOCKORDER_HELD_CAPACITY) {
        state->held_task[slot] = lockorder_current_task();
    }
}

/// The current task (0 outside one), asked of the runtime off the fast path; a thread found
/// running one is marked (`runs_tasks`), so that its fast path records tasks from then on.
static inline uint64_t lockorder_sample_current_task(void) {
    uint64_t task = lockorder_current_task();
    if (task != 0) lockorder_thread_state_storage.runs_tasks = 1;
    return task;
}

/// `lockorder_fast_note_task` off the fast path: the runtime is always asked.
static inline void lockorder_note_task_sampled(uint32_t slot) {
    uint64_t task = lockorder_sample_current_task();
    if (slot < LOCKORDER_HELD_CAPACITY) lockorder_thread_state_storage.held_task[slot] = task;
}
#endif
