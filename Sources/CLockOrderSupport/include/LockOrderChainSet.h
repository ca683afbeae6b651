// The process-wide set of allowed chains (lockdep's global chain hash): every chain of held
// classes that some thread's slow path found allowed, so that a thread whose own chain cache
// misses it clears the acquisition without a process-wide lock.
//
// An open-addressing table of 64-bit keys, insert-only and bounded. A key is the acquisition's
// chain key folded with a stamp of everything else the verdict was decided under: the checking
// epoch (a new session or a restart), the graph epoch (edges left the learned graph) and whether
// the graph learns. A key made under another configuration can never match, so a change of any
// of them empties the set in effect at once; the next insertion clears the stale keys to make
// room. Readers take no lock: a key is one atomic word, written once into an empty slot.
// Insertions come from the slow path only (a chain found allowed), one at a time behind its
// lock, and use a compare-and-swap all the same.
//
// Misses are always safe: an empty slot, a set being cleared or a full set sends the
// acquisition to the slow path, which decides as it always did.
#ifndef LOCKORDER_CHAIN_SET_H
#define LOCKORDER_CHAIN_SET_H

#include <stdbool.h>
#include <stdint.h>

#include "LockOrderThreadState.h"

/// Slots of the process-wide chain set (a power of two): 64 KiB.
#define LOCKORDER_CHAIN_SET_SIZE 8192
/// How many chains it takes before refusing more (three quarters full: probes stay short).
#define LOCKORDER_CHAIN_SET_LIMIT (LOCKORDER_CHAIN_SET_SIZE / 4 * 3)
/// Slots a look-up or an insertion probes at most, from the key's home slot on.
#define LOCKORDER_CHAIN_SET_PROBES 16

typedef struct lockorder_chain_set {
    uint64_t stamp;  ///< the stamp of the keys the set holds (0: none yet)
    uint64_t count;  ///< keys inserted under `stamp`
    uint64_t padding[6];
    uint64_t keys[LOCKORDER_CHAIN_SET_SIZE];  ///< 0 = empty
} lockorder_chain_set;

extern lockorder_chain_set lockorder_chain_set_storage __attribute__((aligned(64)));

/// The stamp of a verdict: the checking epoch of the thread's held stack, the graph epoch and
/// the learning switch it was decided under. Never 0.
static inline uint64_t lockorder_chain_set_stamp(uint64_t epoch, uint64_t graph_epoch, uint8_t learning) {
    uint64_t value = epoch * 0x9e3779b97f4a7c15ull ^ graph_epoch * 0xc2b2ae3d27d4eb4full ^ learning;
    value = (value ^ (value >> 31)) * 0x7fb5d329728ea185ull;
    value ^= value >> 27;
    return value != 0 ? value : 1;
}

/// The key of a chain under a stamp. Never 0 (an empty slot).
static inline uint64_t lockorder_chain_set_key(uint64_t chain, uint64_t stamp) {
    uint64_t key = chain ^ stamp;
    return key != 0 ? key : 1;
}

/// Whether some thread found `chain` allowed under this thread's checking epoch `epoch`, the
/// current graph epoch and the learning switch `learning`; when so, also remembers it in the
/// calling thread's chain cache. Out of line: it runs only on a miss of that cache.
bool lockorder_chain_is_shared(lockorder_thread_state *state, uint64_t chain, uint64_t epoch, uint8_t learning);

/// Adds `chain` to the set, as found allowed under `epoch`, `graph_epoch` and `learning` (read
/// where the verdict was made). Does nothing when any of them is no longer current (the verdict
/// is stale), when the chain is there already, or when the set is full.
void lockorder_chain_share(uint64_t chain, uint64_t epoch, uint64_t graph_epoch, uint8_t learning);

/// How many chains the set holds under the current configuration (tests, the exit summary).
uint64_t lockorder_chain_set_count(void);

#endif
