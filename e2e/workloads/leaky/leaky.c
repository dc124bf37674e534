/* leaky: the test workload of LeakGuard's end-to-end scenarios and demo. One static binary
 * whose behaviour is set by environment variables, so one image serves every scenario:
 *
 *   LEAK_PATTERN      steady | linear | steps | sawtooth | warmup | fd | threads (default steady)
 *   LEAK_BASE_MIB     memory held from the start (default 8)
 *   LEAK_RATE         linear/steps: MiB per minute; fd/threads: per minute (default 4)
 *   LEAK_START_AFTER  seconds of quiet before the leak starts (default 0)
 *   LEAK_STEP_EVERY   steps: seconds between steps (default 60)
 *   LEAK_PERIOD       sawtooth: seconds per tooth (default 60); warmup: time constant (default 120)
 *   LEAK_AMPLITUDE_MIB sawtooth: MiB allocated and freed per tooth; warmup: MiB at the plateau
 *                     (default 32)
 *   HTTP_PORT         serves GET /debug/pprof/heap (a heap summary, text) and /healthz
 *                     (default 6060; 0 disables)
 *
 * Memory is touched page by page so it is resident and charged to the container's cgroup.
 * Freed sawtooth memory is returned to the kernel (munmap), as a collector would.
 * Static (gcc -static -pthread) so its image can be FROM scratch: no registry is reachable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)
#define MAX_CHUNKS 65536

static char *chunks[MAX_CHUNKS]; /* leaked MiBs, kept reachable */
static long nchunks;
static char *tooth[MAX_CHUNKS]; /* sawtooth MiBs, freed each period */
static long ntooth;
static long nfds, nthreads;
static volatile sig_atomic_t stop;

static double envd(const char *name, double def) {
  const char *v = getenv(name);
  return v && *v ? atof(v) : def;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *touch_mib(void) {
  char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  for (long i = 0; i < MIB; i += 4096) ((volatile char *)p)[i] = (char)(i + 1);
  return p;
}

static void hold_leaked(long mib) {
  while (nchunks < mib && nchunks < MAX_CHUNKS) {
    char *p = touch_mib();
    if (!p) return;
    chunks[nchunks++] = p;
  }
}

static void hold_tooth(long mib) {
  while (ntooth > mib) munmap(tooth[--ntooth], MIB);
  while (ntooth < mib && ntooth < MAX_CHUNKS) {
    char *p = touch_mib();
    if (!p) return;
    tooth[ntooth++] = p;
  }
}

static void *idle_thread(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void serve_one(int lfd, const char *pattern) {
  int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) return;
  struct timeval tv = {2, 0};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char req[1024];
  ssize_t n = read(c, req, sizeof req - 1);
  if (n <= 0) {
    close(c);
    return;
  }
  req[n] = 0;
  char body[2048];
  int code = 200;
  if (strncmp(req, "GET /debug/pprof/heap", 21) == 0) {
    snprintf(body, sizeof body,
             "heap profile: leaky (pattern %s)\n"
             "leaked_bytes %ld\nleaked_chunks %ld\nsawtooth_bytes %ld\nopen_fds_leaked %ld\n"
             "threads_leaked %ld\n"
             "# top allocation site\n%ld MiB in leak_loop (leaky.c)\n",
             pattern, nchunks * MIB, nchunks, ntooth * MIB, nfds, nthreads, nchunks);
  } else if (strncmp(req, "GET /healthz", 12) == 0) {
    snprintf(body, sizeof body, "ok\n");
  } else {
    code = 404;
    snprintf(body, sizeof body, "not found\n");
  }
  char out[4096];
  int len = snprintf(out, sizeof out,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     code, code == 200 ? "OK" : "Not Found", strlen(body), body);
  if (write(c, out, (size_t)len) < 0) { /* the client went away: nothing to do */
  }
  close(c);
}

int main(void) {
  const char *pattern = getenv("LEAK_PATTERN") ? getenv("LEAK_PATTERN") : "steady";
  const double base = envd("LEAK_BASE_MIB", 8), rate = envd("LEAK_RATE", 4);
  const double after = envd("LEAK_START_AFTER", 0), every = envd("LEAK_STEP_EVERY", 60);
  const double period = envd("LEAK_PERIOD", strcmp(pattern, "warmup") == 0 ? 120 : 60);
  const double amp = envd("LEAK_AMPLITUDE_MIB", 32);
  const int port = (int)envd("HTTP_PORT", 6060);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  hold_leaked((long)base);
  const long base_chunks = nchunks;
  int lfd = port > 0 ? listen_on(port) : -1;
  printf("leaky: pattern=%s base=%.0fMiB rate=%.2f/min port=%d\n", pattern, base, rate, port);
  fflush(stdout);

  const double t0 = now();
  double last_report = 0;
  while (!stop) {
    const double t = now() - t0, lt = t - after > 0 ? t - after : 0;
    if (strcmp(pattern, "linear") == 0) {
      hold_leaked(base_chunks + (long)(rate * lt / 60));
    } else if (strcmp(pattern, "steps") == 0) {
      hold_leaked(base_chunks + (long)(rate * every / 60 * floor(lt / every)));
    } else if (strcmp(pattern, "sawtooth") == 0) {
      hold_tooth((long)(amp * fmod(t, period) / period));
    } else if (strcmp(pattern, "warmup") == 0) {
      hold_leaked(base_chunks + (long)(amp * (1 - exp(-t / period))));
    } else if (strcmp(pattern, "fd") == 0) {
      while (nfds < (long)(rate * lt / 60)) {
        if (open("/proc/self/stat", O_RDONLY) < 0) break; /* leaked on purpose */
        nfds++;
      }
    } else if (strcmp(pattern, "threads") == 0) {
      while (nthreads < (long)(rate * lt / 60)) {
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 64 * 1024);
        if (pthread_create(&th, &at, idle_thread, NULL) != 0) break;
        pthread_attr_destroy(&at);
        nthreads++;
      }
    }
    if (t - last_report >= 30) {
      printf("leaky: t=%.0fs leaked=%ldMiB tooth=%ldMiB fds=%ld threads=%ld\n", t, nchunks,
             ntooth, nfds, nthreads);
      fflush(stdout);
      last_report = t;
    }
    struct pollfd pfd = {lfd, POLLIN, 0};
    if (poll(&pfd, lfd >= 0 ? 1 : 0, 500) > 0 && (pfd.revents & POLLIN)) serve_one(lfd, pattern);
  }
  printf("leaky: terminated gracefully\n");
  return 0;
}
