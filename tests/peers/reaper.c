/* tests/peers/reaper.c: runs a command as a child subreaper and waits for every descendant,
 * so a test suite whose first process exits while its forked children still run is judged
 * only once all of them are done. Exit status: the command's own (128 + signal if killed). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "reaper: prctl(PR_SET_CHILD_SUBREAPER): %s\n", strerror(errno));
        return 2;
    }
    pid_t cmd = fork();
    if (cmd < 0) {
        fprintf(stderr, "reaper: fork: %s\n", strerror(errno));
        return 2;
    }
    if (cmd == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "reaper: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    int rc = 2, orphans = 0;
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ECHILD)
                break;
            fprintf(stderr, "reaper: waitpid: %s\n", strerror(errno));
            return 2;
        }
        if (p == cmd)
            rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        else
            orphans++;
    }
    fprintf(stderr, "reaper: %s exited with %d; %d orphaned descendant(s) reaped\n", argv[1], rc,
            orphans);
    return rc;
}
