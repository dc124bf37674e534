/* lgtest: the workload of the cluster tests (e2e/cluster/test-cluster).
 *
 *   lgtest sleep       sleep until SIGTERM/SIGINT, then exit 0
 *   lgtest hold MIB    allocate MIB MiB, touch every page (so it is resident and charged to
 *                      the container's memory cgroup), report it, then sleep like `sleep`
 *   lgtest grow MIB    allocate and touch MIB MiB one MiB at a time, reporting progress; a
 *                      container whose limit is below MIB is OOM-killed on the way
 *   lgtest listen PORT accept TCP connections on 0.0.0.0:PORT, print one line per connection
 *                      and close it (run on the host to prove pods cannot reach its ports)
 *
 * Static (gcc -static) so the image can be FROM scratch: no registry is reachable here.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static void sleep_forever(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  for (;;) pause();
}

/* Every block stays reachable from here, and is written through a volatile pointer: otherwise
 * the compiler may drop a malloc whose memory is never read (it did, at -Os), and nothing
 * would become resident. */
static volatile char *blocks[1024 * 1024];
static long nblocks;

/* Touches one MiB of fresh memory; returns 0 when malloc fails. */
static int touch_mib(void) {
  volatile char *p = malloc(MIB);
  if (p == NULL) return 0;
  for (long i = 0; i < MIB; i += 4096) p[i] = (char)(i + 1);
  blocks[nblocks++] = p;
  return 1;
}

static long parse_mib(const char *s) {
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || v <= 0 || v > 1024L * 1024L) {
    fprintf(stderr, "lgtest: bad MiB count '%s'\n", s);
    exit(2);
  }
  return v;
}

static int listen_forever(const char *port_arg) {
  struct sockaddr_in addr;
  int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
  long port = strtol(port_arg, NULL, 10);
  if (fd < 0 || port <= 0 || port > 65535) return 2;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0) {
    perror("lgtest: listen");
    return 3;
  }
  printf("lgtest: listening on 0.0.0.0:%ld\n", port);
  for (;;) {
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int c = accept(fd, (struct sockaddr *)&peer, &len);
    if (c < 0) continue;
    printf("lgtest: connection from %s\n", inet_ntoa(peer.sin_addr));
    close(c);
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 2 && strcmp(argv[1], "sleep") == 0) {
    printf("lgtest: sleeping\n");
    sleep_forever();
  }
  if (argc == 3 && (strcmp(argv[1], "hold") == 0 || strcmp(argv[1], "grow") == 0)) {
    long want = parse_mib(argv[2]);
    int grow = strcmp(argv[1], "grow") == 0;
    for (long i = 1; i <= want; i++) {
      if (!touch_mib()) {
        printf("lgtest: malloc failed after %ld MiB\n", i - 1);
        return 3;
      }
      if (grow && i % 8 == 0) {
        printf("lgtest: %ld MiB touched\n", i);
        usleep(20000); /* let the memory cgroup's usage be seen growing */
      }
    }
    printf("lgtest: holding %ld MiB\n", want);
    sleep_forever();
  }
  if (argc == 3 && strcmp(argv[1], "listen") == 0) return listen_forever(argv[2]);
  fprintf(stderr, "usage: lgtest sleep | hold MIB | grow MIB | listen PORT\n");
  return 2;
}
