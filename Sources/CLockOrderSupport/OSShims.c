// The OS shims declared in LockOrderOSShims.h; each says there why Swift cannot make the call.
#define _GNU_SOURCE
#include "LockOrderOSShims.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// libunwind as CLibunwind declares it (UNW_LOCAL_ONLY before <libunwind.h>), from its one
// spelling: SwiftPM gives a C target the module map of the system library it depends on, not
// its folder as an include path.
#include "../CLibunwind/shim.h"

int lockorder_symbol_name(uintptr_t address, char *name, size_t capacity, uintptr_t *offset) {
    // libunwind 1.6 has no unw_get_proc_name_by_ip; the address space's accessor is the same
    // lookup, reached without a cursor (so without walking the stack again).
    unw_addr_space_t space = unw_local_addr_space;
    unw_accessors_t *accessors = unw_get_accessors(space);
    if (accessors == NULL || accessors->get_proc_name == NULL) return -1;
    unw_word_t functionOffset = 0;
    int result = accessors->get_proc_name(space, (unw_word_t)address, name, capacity,
                                          &functionOffset, NULL);
    if (result != 0) return result;
    // In a stripped library (libc) the nearest symbol libunwind finds may be an exported
    // neighbour of a static function (start_thread shows up as pthread_condattr_setpshared +
    // 1301). When the dynamic symbol table knows the named symbol's size and the address lies
    // past its end, the name is wrong: better no name than a misleading one.
    Dl_info info;
    const ElfW(Sym) *symbol = NULL;
    const void *start = (const void *)(address - functionOffset);
    if (dladdr1(start, &info, (void **)&symbol, RTLD_DL_SYMENT) != 0 && symbol != NULL
        && info.dli_sname != NULL && strcmp(info.dli_sname, name) == 0 && symbol->st_size != 0
        && functionOffset >= symbol->st_size) {
        return -1;
    }
    if (offset != NULL) *offset = (uintptr_t)functionOffset;
    return 0;
}

/// The process id when this image was loaded; a forked child has another until it calls exec.
static pid_t image_process_id;

__attribute__((constructor)) static void lockorder_record_image_process_id(void) {
    image_process_id = getpid();
}

int lockorder_is_forked_child(void) {
    return image_process_id != 0 && getpid() != image_process_id;
}

int lockorder_is_in_signal_handler(void) {
    unw_context_t context;
    unw_cursor_t cursor;
    if (unw_getcontext(&context) != 0 || unw_init_local(&cursor, &context) != 0) return 0;
    for (int depth = 0; depth < 1024; depth++) {
        if (unw_is_signal_frame(&cursor) > 0) return 1;
        if (unw_step(&cursor) <= 0) return 0;
    }
    // Not walked to its end: it may be a handler's stack, and the caller takes no risk.
    return 1;
}

int lockorder_module_of(uintptr_t address, const char **path, uintptr_t *base) {
    Dl_info info;
    if (dladdr((const void *)address, &info) == 0) return -1;
    *path = info.dli_fname;
    *base = (uintptr_t)info.dli_fbase;
    return 0;
}

int lockorder_module_bias(uintptr_t address, const char **path, uintptr_t *bias, int *is_main_program) {
    Dl_info info;
    struct link_map *map = NULL;
    if (dladdr1((const void *)address, &info, (void **)&map, RTLD_DL_LINKMAP) == 0 || map == NULL) return -1;
    *path = info.dli_fname;
    *bias = (uintptr_t)map->l_addr;
    // The loader leaves the executable's name empty (unless the program was started through
    // ld.so by hand, when the name is the path it was given).
    *is_main_program = map->l_name == NULL || map->l_name[0] == '\0';
    return 0;
}

int64_t lockorder_thread_id(void) {
    return (int64_t)syscall(SYS_gettid);
}

int lockorder_thread_name(char *name, size_t capacity) {
    return pthread_getname_np(pthread_self(), name, capacity);
}

static struct timespec deadline_after(int64_t timeout_nanoseconds) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (timeout_nanoseconds < 0) timeout_nanoseconds = 0;
    int64_t nanoseconds = now.tv_nsec + timeout_nanoseconds % 1000000000;
    struct timespec deadline;
    deadline.tv_sec = now.tv_sec + timeout_nanoseconds / 1000000000 + nanoseconds / 1000000000;
    deadline.tv_nsec = nanoseconds % 1000000000;
    return deadline;
}

int lockorder_mutex_timed_lock(void *mutex, int64_t timeout_nanoseconds) {
    struct timespec deadline = deadline_after(timeout_nanoseconds);
    return pthread_mutex_clocklock((pthread_mutex_t *)mutex, CLOCK_MONOTONIC, &deadline);
}

int lockorder_rwlock_timed_read_lock(void *rwlock, int64_t timeout_nanoseconds) {
    struct timespec deadline = deadline_after(timeout_nanoseconds);
    return pthread_rwlock_clockrdlock((pthread_rwlock_t *)rwlock, CLOCK_MONOTONIC, &deadline);
}

int lockorder_rwlock_timed_write_lock(void *rwlock, int64_t timeout_nanoseconds) {
    struct timespec deadline = deadline_after(timeout_nanoseconds);
    return pthread_rwlock_clockwrlock((pthread_rwlock_t *)rwlock, CLOCK_MONOTONIC, &deadline);
}
