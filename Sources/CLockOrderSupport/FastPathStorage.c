// The storage behind the fast path's headers: the per-thread state, the switches and the class
// tables; and the pthread interposer's per-thread bypass (LockOrderBypass.h). Everything else about them is `static inline` in the headers.
#include "CLockOrderSupport.h"

__thread lockorder_thread_state lockorder_thread_state_storage
    __attribute__((tls_model("initial-exec"), aligned(64)));

_Static_assert(__builtin_offsetof(lockorder_thread_state, held) % 64 == 0,
               "held entries start on a cache line");
struct lockorder_switches_line lockorder_switches_storage __attribute__((aligned(64))) = {
    .value = {
        .epoch = 1,  // on, so that the first lock operation reads the environment
        .graph_epoch = 1,
        .generation = 1,
        .mode = LOCKORDER_MODE_UNCONFIGURED,
        .learning = 1,
    },
};
_Static_assert(sizeof(struct lockorder_switches_line) == 64, "the switches fill one cache line");
uint16_t lockorder_class_level_storage[LOCKORDER_CLASS_CAPACITY];
uint8_t lockorder_class_is_instance_storage[LOCKORDER_CLASS_CAPACITY];
uint8_t lockorder_order_keys_used_storage;
uint16_t lockorder_option_level_storage[8];
__thread uint32_t lockorder_bypass_storage __attribute__((tls_model("initial-exec")));
