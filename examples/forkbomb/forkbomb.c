/* Starts threads that never end until creating one fails; the pids limit stops it early. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *sleeper(void *unused) {
    (void)unused;
    for (;;) pause();
    return NULL;
}

int main(void) {
    for (int count = 1;; count++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, sleeper, NULL) != 0) {
            printf("thread %d could not be created: the pids limit works\n", count);
            return 3;
        }
    }
}
