// A C program that locks raw pthread mutexes: the interposer sees locks used only from C.
// Run by Tests/EndToEndTests/InterposeTests.swift with LD_PRELOAD.
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t *cache_lock;
static pthread_mutex_t *index_lock;

__attribute__((noinline)) static pthread_mutex_t *make_lock(void) {
    static pthread_mutex_t storage[2];
    static int used;
    pthread_mutex_t *mutex = &storage[used++];
    pthread_mutex_init(mutex, NULL);
    return mutex;
}

__attribute__((noinline)) void update_cache_then_index(void) {
    pthread_mutex_lock(cache_lock);
    pthread_mutex_lock(index_lock);
    pthread_mutex_unlock(index_lock);
    pthread_mutex_unlock(cache_lock);
}

__attribute__((noinline)) void rebuild_index_then_cache(void) {
    pthread_mutex_lock(index_lock);
    pthread_mutex_lock(cache_lock);
    pthread_mutex_unlock(cache_lock);
    pthread_mutex_unlock(index_lock);
}

int main(int argc, char **argv) {
    cache_lock = make_lock();
    index_lock = make_lock();
    update_cache_then_index();
    if (argc > 1 && strcmp(argv[1], "abba") == 0) rebuild_index_then_cache();
    printf("c done\n");
    return 0;
}
