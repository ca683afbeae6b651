// The process-wide set of allowed chains (LockOrderChainSet.h): its storage, look-up and
// insertion, out of line because they run only when a thread's own chain cache misses.
#include "CLockOrderSupport.h"

lockorder_chain_set lockorder_chain_set_storage __attribute__((aligned(64)));

_Static_assert((LOCKORDER_CHAIN_SET_SIZE & (LOCKORDER_CHAIN_SET_SIZE - 1)) == 0,
               "the chain set's size is a power of two");
_Static_assert(__builtin_offsetof(lockorder_chain_set, keys) == 64, "the keys start on their own cache line");

bool lockorder_chain_is_shared(lockorder_thread_state *state, uint64_t chain, uint64_t epoch, uint8_t learning) {
    lockorder_chain_set *set = &lockorder_chain_set_storage;
    uint64_t graph_epoch = lockorder_graph_epoch();
    uint64_t stamp = lockorder_chain_set_stamp(epoch, graph_epoch, learning);
    // Keys of another stamp could only match by a 64-bit accident: skip the probe altogether.
    if (__atomic_load_n(&set->stamp, __ATOMIC_ACQUIRE) != stamp) return false;
    uint64_t key = lockorder_chain_set_key(chain, stamp);
    for (uint64_t probe = 0; probe < LOCKORDER_CHAIN_SET_PROBES; probe++) {
        uint64_t found = __atomic_load_n(&set->keys[(key + probe) & (LOCKORDER_CHAIN_SET_SIZE - 1)], __ATOMIC_RELAXED);
        if (found == key) {
            lockorder_chain_remember_in(state, chain, graph_epoch);
            return true;
        }
        if (found == 0) return false;  // insert-only: the key would have been placed here
    }
    return false;
}

void lockorder_chain_share(uint64_t chain, uint64_t epoch, uint64_t graph_epoch, uint8_t learning) {
    if (epoch != lockorder_epoch() || graph_epoch != lockorder_graph_epoch() || learning != lockorder_learning()) {
        return;  // decided under a configuration that has changed since: not a verdict any more
    }
    lockorder_chain_set *set = &lockorder_chain_set_storage;
    uint64_t stamp = lockorder_chain_set_stamp(epoch, graph_epoch, learning);
    if (__atomic_load_n(&set->stamp, __ATOMIC_ACQUIRE) != stamp) {
        // The keys held were made under another stamp and can match no look-up any more: clear
        // them to make room. A look-up meanwhile finds a slot empty or a stale key: a miss.
        for (uint64_t slot = 0; slot < LOCKORDER_CHAIN_SET_SIZE; slot++) {
            __atomic_store_n(&set->keys[slot], 0, __ATOMIC_RELAXED);
        }
        __atomic_store_n(&set->count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&set->stamp, stamp, __ATOMIC_RELEASE);
    }
    if (__atomic_load_n(&set->count, __ATOMIC_RELAXED) >= LOCKORDER_CHAIN_SET_LIMIT) return;
    uint64_t key = lockorder_chain_set_key(chain, stamp);
    for (uint64_t probe = 0; probe < LOCKORDER_CHAIN_SET_PROBES; probe++) {
        uint64_t *slot = &set->keys[(key + probe) & (LOCKORDER_CHAIN_SET_SIZE - 1)];
        uint64_t expected = 0;
        if (__atomic_compare_exchange_n(slot, &expected, key, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
            __atomic_fetch_add(&set->count, 1, __ATOMIC_RELAXED);
            return;
        }
        if (expected == key) return;  // there already
    }
}

uint64_t lockorder_chain_set_count(void) {
    lockorder_chain_set *set = &lockorder_chain_set_storage;
    uint64_t stamp = lockorder_chain_set_stamp(lockorder_epoch(), lockorder_graph_epoch(), lockorder_learning());
    if (__atomic_load_n(&set->stamp, __ATOMIC_ACQUIRE) != stamp) return 0;
    return __atomic_load_n(&set->count, __ATOMIC_RELAXED);
}
