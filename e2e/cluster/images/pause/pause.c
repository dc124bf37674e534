/* pause: the sandbox ("infra") container of every pod in the local e2e cluster.
 *
 * It holds the pod's namespaces open and does nothing else: sleeps until SIGTERM or SIGINT
 * (exit 0), and reaps zombies when it is PID 1 of a pod that shares its process namespace.
 * Built as a static binary (gcc -static) and put into an image FROM scratch, because no
 * image registry can be reached from this machine.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static void on_chld(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) return 1;
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGCHLD, &sa, NULL) < 0) return 2;
  for (;;) pause();
}
