#include "operator/util/allocator.h"

#include <cstddef>  // defines __GLIBC__ (through <features.h>) for the test below

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace lg {

void keepLargeBlocksMapped() {
#ifdef __GLIBC__
  // Setting it at all turns off the dynamic threshold; 128 KiB is glibc's own starting value.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

void releaseFreeMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace lg
