/* Allocates and touches memory 1 MiB at a time, printing the total, until the memory limit stops it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    for (size_t mib = 1;; mib++) {
        char *chunk = malloc(1 << 20);
        if (chunk == NULL) {
            printf("malloc failed at %zu MiB\n", mib);
            return 1;
        }
        memset(chunk, 1, 1 << 20);
        printf("%zu MiB\n", mib);
        fflush(stdout);
    }
}
