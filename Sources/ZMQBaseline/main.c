// ZMQBaseline: raw libzmq loops, the baseline Corsair's benchmarks compare against.
//
//   ZMQBaseline rtt --size BYTES --count N [--warmup W] [--io-threads T]
//       One process: a REP echo thread on tcp://127.0.0.1:* and a REQ client doing N lock-step
//       round trips of BYTES (after W untimed ones). Prints one JSON object with percentiles.
//   ZMQBaseline fanin --clients C --count N --size BYTES [--io-threads T]
//       A ROUTER echo in a child process of its own, as a server is, and C client threads, each
//       with its own REQ socket, doing N round trips between them. Prints one JSON object with the
//       request rate and the CPU per request of each side over the timed requests only: the client
//       threads, the echo thread, and each process's libzmq threads. A side's libzmq share is its
//       process's CPU clock less the threads this program runs itself, so no thread name is read:
//       libzmq 4.3.4 names its I/O threads from those threads themselves, some time after they
//       start, and a name read too early (or never set) made a side's libzmq share read zero.
//   ZMQBaseline echo-server --bind ENDPOINT
//       A plain REP echo server. Prints "listening <endpoint>" first, runs until SIGINT or
//       SIGTERM, then exits 0.
//
// Results go to stdout as one JSON object; a libzmq failure prints "error: <zmq_strerror>" to
// stderr and exits 1; a bad command line prints usage to stderr and exits 2.

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

// MARK: - Failure

static _Noreturn void fail_zmq(void) {
    fprintf(stderr, "error: %s\n", zmq_strerror(zmq_errno()));
    exit(1);
}

static _Noreturn void fail_errno(int error) {
    fprintf(stderr, "error: %s\n", strerror(error));
    exit(1);
}

static _Noreturn void usage(const char *problem) {
    if (problem != NULL) {
        fprintf(stderr, "error: %s\n", problem);
    }
    fprintf(stderr,
            "usage: ZMQBaseline rtt --size BYTES --count N [--warmup W] [--io-threads T]\n"
            "       ZMQBaseline fanin --clients C --count N --size BYTES [--io-threads T]\n"
            "       ZMQBaseline echo-server --bind ENDPOINT\n");
    exit(2);
}

static void check(int rc) {
    if (rc != 0) {
        fail_zmq();
    }
}

static void *check_pointer(void *pointer) {
    if (pointer == NULL) {
        fail_zmq();
    }
    return pointer;
}

static void *allocate(size_t size) {
    // malloc(0) may return NULL; ask for at least a byte.
    void *pointer = malloc(size > 0 ? size : 1);
    if (pointer == NULL) {
        fail_errno(ENOMEM);
    }
    return pointer;
}

// MARK: - Time

static uint64_t now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        fail_errno(errno);
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/// CPU time of a clock such as CLOCK_THREAD_CPUTIME_ID, in nanoseconds.
static uint64_t cpu_ns(clockid_t clock) {
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) {
        fail_errno(errno);
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// MARK: - Arguments

typedef struct {
    const char *mode;
    long long size;
    long long count;
    long long warmup;
    long long clients;
    long long io_threads;
    const char *bind;
} options_t;

static long long parse_count(const char *name, const char *text, long long minimum) {
    if (text == NULL || *text == '\0') {
        fprintf(stderr, "error: %s needs a value\n", name);
        usage(NULL);
    }
    for (const char *c = text; *c != '\0'; c++) {
        if (*c < '0' || *c > '9') {
            fprintf(stderr, "error: %s must be a whole number, not \"%s\"\n", name, text);
            usage(NULL);
        }
    }
    errno = 0;
    long long value = strtoll(text, NULL, 10);
    if (errno != 0 || value < minimum || value > INT32_MAX) {
        fprintf(stderr, "error: %s must be between %lld and %d\n", name, minimum, INT32_MAX);
        usage(NULL);
    }
    return value;
}

static options_t parse(int argc, char **argv) {
    options_t options = {
        .mode = NULL, .size = -1, .count = -1, .warmup = 100, .clients = -1, .io_threads = 1, .bind = NULL,
    };
    if (argc < 2) {
        usage(NULL);
    }
    options.mode = argv[1];
    for (int i = 2; i < argc; i += 2) {
        const char *name = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(name, "--size") == 0) {
            options.size = parse_count(name, value, 0);
        } else if (strcmp(name, "--count") == 0) {
            options.count = parse_count(name, value, 1);
        } else if (strcmp(name, "--warmup") == 0) {
            options.warmup = parse_count(name, value, 0);
        } else if (strcmp(name, "--clients") == 0) {
            options.clients = parse_count(name, value, 1);
        } else if (strcmp(name, "--io-threads") == 0) {
            options.io_threads = parse_count(name, value, 1);
        } else if (strcmp(name, "--bind") == 0) {
            if (value == NULL || *value == '\0') {
                usage("--bind needs an endpoint");
            }
            options.bind = value;
        } else {
            fprintf(stderr, "error: unknown option \"%s\"\n", name);
            usage(NULL);
        }
    }
    return options;
}

// MARK: - Sockets

static void *make_context(long long io_threads) {
    void *context = check_pointer(zmq_ctx_new());
    check(zmq_ctx_set(context, ZMQ_IO_THREADS, (int)io_threads));
    return context;
}

static void *make_socket(void *context, int type) {
    void *socket = check_pointer(zmq_socket(context, type));
    int linger = 0;
    check(zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger));
    return socket;
}

static void close_socket(void *socket) {
    check(zmq_close(socket));
}

/// Terminates a context, retrying when a signal interrupts it.
static void terminate_context(void *context) {
    while (zmq_ctx_term(context) != 0) {
        if (zmq_errno() != EINTR) {
            fail_zmq();
        }
    }
}

/// Binds and returns the endpoint actually bound (with the port a wildcard chose), owned by the caller.
static char *bind_socket(void *socket, const char *endpoint) {
    check(zmq_bind(socket, endpoint));
    char buffer[1024];
    size_t size = sizeof buffer;
    check(zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, buffer, &size));
    buffer[sizeof buffer - 1] = '\0';
    size_t length = strlen(buffer);
    char *copy = allocate(length + 1);
    memcpy(copy, buffer, length + 1);
    return copy;
}

/// Sends one frame, retrying when a signal interrupts the send.
static void send_frame(void *socket, const void *data, size_t size, int flags) {
    while (zmq_send(socket, data, size, flags) < 0) {
        if (zmq_errno() != EINTR) {
            fail_zmq();
        }
    }
}

typedef enum { FRAME_RECEIVED, FRAME_TERMINATED, FRAME_NONE } frame_status_t;

/// Receives one frame into `message`, retrying when a signal interrupts the receive.
///
/// FRAME_NONE only with ZMQ_DONTWAIT, when nothing is waiting; FRAME_TERMINATED when the context
/// was shut down.
static frame_status_t receive_frame(void *socket, zmq_msg_t *message, int flags) {
    while (zmq_msg_recv(message, socket, flags) < 0) {
        int error = zmq_errno();
        if (error == ETERM) {
            return FRAME_TERMINATED;
        }
        if (error == EAGAIN && (flags & ZMQ_DONTWAIT)) {
            return FRAME_NONE;
        }
        if (error != EINTR) {
            fail_zmq();
        }
    }
    return FRAME_RECEIVED;
}

/// Receives a whole message and sends it back, frame for frame.
///
/// REP may only reply once the whole request is in, so the frames are collected first. The rest
/// of a multipart message arrives with its first frame, so only the first receive takes
/// `first_flags`.
/// - Returns: FRAME_RECEIVED once echoed, FRAME_TERMINATED when the context was shut down,
///   FRAME_NONE when `first_flags` has ZMQ_DONTWAIT and nothing was waiting.
static frame_status_t echo_message(void *socket, int first_flags) {
    size_t capacity = 4;
    size_t count = 0;
    zmq_msg_t *frames = allocate(capacity * sizeof *frames);
    frame_status_t status = FRAME_RECEIVED;
    bool more = true;
    while (more) {
        if (count == capacity) {
            capacity *= 2;
            zmq_msg_t *grown = realloc(frames, capacity * sizeof *frames);
            if (grown == NULL) {
                fail_errno(ENOMEM);
            }
            frames = grown;
        }
        check(zmq_msg_init(&frames[count]));
        status = receive_frame(socket, &frames[count], count == 0 ? first_flags : 0);
        if (status != FRAME_RECEIVED) {
            check(zmq_msg_close(&frames[count]));
            break;
        }
        more = zmq_msg_more(&frames[count]) != 0;
        count++;
    }
    for (size_t i = 0; i < count; i++) {
        if (status == FRAME_RECEIVED) {
            int flags = i + 1 < count ? ZMQ_SNDMORE : 0;
            while (zmq_msg_send(&frames[i], socket, flags) < 0) {
                int error = zmq_errno();
                if (error == ETERM) {
                    status = FRAME_TERMINATED;
                    break;
                }
                if (error != EINTR) {
                    fail_zmq();
                }
            }
        }
        // A sent frame is empty, but closing it is still required.
        check(zmq_msg_close(&frames[i]));
    }
    free(frames);
    return status;
}

/// Echoes messages on a socket until its context is shut down, then closes it.
static void *echo_thread(void *socket) {
    while (echo_message(socket, 0) == FRAME_RECEIVED) {
    }
    close_socket(socket);
    return NULL;
}

static pthread_t start_thread(void *(*body)(void *), void *argument) {
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, body, argument);
    if (rc != 0) {
        fail_errno(rc);
    }
    return thread;
}

static void join_thread(pthread_t thread) {
    int rc = pthread_join(thread, NULL);
    if (rc != 0) {
        fail_errno(rc);
    }
}

/// One lock-step round trip: sends `size` bytes and waits for a reply of the same size.
static void round_trip(void *socket, const void *payload, size_t size, zmq_msg_t *reply) {
    send_frame(socket, payload, size, 0);
    if (receive_frame(socket, reply, 0) != FRAME_RECEIVED) {
        fprintf(stderr, "error: %s\n", zmq_strerror(ETERM));
        exit(1);
    }
    if (zmq_msg_size(reply) != size || zmq_msg_more(reply)) {
        fprintf(stderr, "error: reply of %zu bytes to a request of %zu\n", zmq_msg_size(reply), size);
        exit(1);
    }
}

static unsigned char *make_payload(size_t size) {
    unsigned char *payload = allocate(size);
    for (size_t i = 0; i < size; i++) {
        payload[i] = (unsigned char)(i * 131u + 7u);
    }
    return payload;
}

// MARK: - rtt

static int compare_u64(const void *a, const void *b) {
    uint64_t left = *(const uint64_t *)a;
    uint64_t right = *(const uint64_t *)b;
    return (left > right) - (left < right);
}

/// The nearest-rank percentile (given in per-mille) of sorted samples, in microseconds.
static double percentile_us(const uint64_t *sorted, size_t count, size_t per_mille) {
    size_t rank = (count * per_mille + 999) / 1000;
    if (rank < 1) {
        rank = 1;
    }
    if (rank > count) {
        rank = count;
    }
    return (double)sorted[rank - 1] / 1000.0;
}

static int run_rtt(const options_t *options) {
    if (options->size < 0 || options->count < 1) {
        usage("rtt needs --size and --count");
    }
    size_t size = (size_t)options->size;
    size_t count = (size_t)options->count;
    size_t warmup = (size_t)options->warmup;

    void *context = make_context(options->io_threads);
    // Bound here, then handed to the echo thread; pthread_create is the memory barrier libzmq
    // asks for when a socket moves between threads.
    void *server = make_socket(context, ZMQ_REP);
    char *endpoint = bind_socket(server, "tcp://127.0.0.1:*");
    pthread_t echo = start_thread(echo_thread, server);

    void *client = make_socket(context, ZMQ_REQ);
    check(zmq_connect(client, endpoint));
    unsigned char *payload = make_payload(size);
    uint64_t *samples = allocate(count * sizeof *samples);
    zmq_msg_t reply;
    check(zmq_msg_init(&reply));

    for (size_t i = 0; i < warmup; i++) {
        round_trip(client, payload, size, &reply);
    }
    for (size_t i = 0; i < count; i++) {
        uint64_t start = now_ns();
        round_trip(client, payload, size, &reply);
        samples[i] = now_ns() - start;
    }

    check(zmq_msg_close(&reply));
    close_socket(client);
    check(zmq_ctx_shutdown(context));
    join_thread(echo);
    terminate_context(context);

    qsort(samples, count, sizeof *samples, compare_u64);
    double total = 0;
    for (size_t i = 0; i < count; i++) {
        total += (double)samples[i];
    }
    printf("{\"mode\":\"rtt\",\"size\":%zu,\"count\":%zu,\"warmup\":%zu,"
           "\"p50_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f,\"mean_us\":%.3f,"
           "\"min_us\":%.3f,\"max_us\":%.3f}\n",
           size, count, warmup,
           percentile_us(samples, count, 500), percentile_us(samples, count, 990),
           percentile_us(samples, count, 999), total / (double)count / 1000.0,
           (double)samples[0] / 1000.0, (double)samples[count - 1] / 1000.0);
    fflush(stdout);

    free(samples);
    free(payload);
    free(endpoint);
    return 0;
}

// MARK: - fanin

/// A reusable barrier (macOS has no pthread_barrier_t).
typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t condition;
    size_t parties;
    size_t waiting;
} barrier_t;

static void barrier_init(barrier_t *barrier, size_t parties) {
    int rc = pthread_mutex_init(&barrier->mutex, NULL);
    if (rc == 0) {
        rc = pthread_cond_init(&barrier->condition, NULL);
    }
    if (rc != 0) {
        fail_errno(rc);
    }
    barrier->parties = parties;
    barrier->waiting = 0;
}

static void barrier_wait(barrier_t *barrier) {
    pthread_mutex_lock(&barrier->mutex);
    barrier->waiting++;
    if (barrier->waiting == barrier->parties) {
        pthread_cond_broadcast(&barrier->condition);
    } else {
        while (barrier->waiting < barrier->parties) {
            pthread_cond_wait(&barrier->condition, &barrier->mutex);
        }
    }
    pthread_mutex_unlock(&barrier->mutex);
}

static void barrier_destroy(barrier_t *barrier) {
    pthread_cond_destroy(&barrier->condition);
    pthread_mutex_destroy(&barrier->mutex);
}

typedef struct {
    void *context;
    const char *endpoint;
    const unsigned char *payload;
    size_t size;
    size_t requests;
    barrier_t *ready;
    /// The thread's own CPU over its timed requests, set when it ends.
    uint64_t cpu_ns;
} client_job_t;

static void *fanin_client(void *argument) {
    client_job_t *job = argument;
    void *socket = make_socket(job->context, ZMQ_REQ);
    check(zmq_connect(socket, job->endpoint));
    zmq_msg_t reply;
    check(zmq_msg_init(&reply));
    // One untimed round trip, so that connecting is not part of the measurement.
    round_trip(socket, job->payload, job->size, &reply);
    barrier_wait(job->ready);
    uint64_t cpu_start = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    for (size_t i = 0; i < job->requests; i++) {
        round_trip(socket, job->payload, job->size, &reply);
    }
    job->cpu_ns = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    check(zmq_msg_close(&reply));
    close_socket(socket);
    return NULL;
}

/// Reads exactly `size` bytes from a pipe, or fails.
static void read_fully(int descriptor, void *buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t got = read(descriptor, (char *)buffer + done, size - done);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            fprintf(stderr, "error: the fan-in server process %s\n", got == 0 ? "ended early" : strerror(errno));
            exit(1);
        }
        done += (size_t)got;
    }
}

static void write_fully(int descriptor, const void *buffer, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t put = write(descriptor, (const char *)buffer + done, size - done);
        if (put < 0 && errno == EINTR) {
            continue;
        }
        if (put <= 0) {
            fail_errno(errno);
        }
        done += (size_t)put;
    }
}

/// What the fan-in server process reports for the timed window: its echo thread's CPU and its
/// libzmq threads' (the process's CPU less the echo thread and its own waiting main thread).
typedef struct {
    uint64_t app_ns;
    uint64_t io_ns;
} side_cpu_t;

/// The fan-in server process: binds a ROUTER echo, sends the endpoint up `report`, then measures
/// between the start and stop bytes it reads from `control`, sends its figures, and ends.
static _Noreturn void run_fanin_server(const options_t *options, int control, int report) {
    // The server must not outlive a bench killed mid-round.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) {
        _exit(1);
    }
    void *context = make_context(options->io_threads);
    void *server = make_socket(context, ZMQ_ROUTER);
    char *endpoint = bind_socket(server, "tcp://127.0.0.1:*");
    uint32_t length = (uint32_t)strlen(endpoint);
    write_fully(report, &length, sizeof length);
    write_fully(report, endpoint, length);
    // ROUTER's echo is the REP one without the envelope handling: the identity and the empty
    // delimiter go back as they came.
    pthread_t echo = start_thread(echo_thread, server);
    clockid_t echo_clock;
    int clock_rc = pthread_getcpuclockid(echo, &echo_clock);
    if (clock_rc != 0) {
        fail_errno(clock_rc);
    }
    unsigned char byte;
    read_fully(control, &byte, 1);
    uint64_t process_start = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t echo_start = cpu_ns(echo_clock);
    uint64_t main_start = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    read_fully(control, &byte, 1);
    uint64_t main_cpu = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - main_start;
    uint64_t echo_cpu = cpu_ns(echo_clock) - echo_start;
    uint64_t process_cpu = cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - process_start;
    uint64_t own = echo_cpu + main_cpu;
    side_cpu_t figures = {.app_ns = echo_cpu, .io_ns = process_cpu > own ? process_cpu - own : 0};
    write_fully(report, &figures, sizeof figures);
    check(zmq_ctx_shutdown(context));
    join_thread(echo);
    terminate_context(context);
    free(endpoint);
    _exit(0);
}

static int run_fanin(const options_t *options) {
    if (options->clients < 1 || options->count < 1 || options->size < 0) {
        usage("fanin needs --clients, --count and --size");
    }
    if (options->clients > 100000) {
        usage("--clients must be at most 100000");
    }
    if (options->count < options->clients) {
        usage("--count must be at least --clients");
    }
    size_t clients = (size_t)options->clients;
    size_t count = (size_t)options->count;
    size_t size = (size_t)options->size;

    // Forked before any libzmq context exists, so the child starts with no libzmq threads.
    int control[2], report[2];
    if (pipe(control) != 0 || pipe(report) != 0) {
        fail_errno(errno);
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        fail_errno(errno);
    }
    if (child == 0) {
        close(control[1]);
        close(report[0]);
        run_fanin_server(options, control[0], report[1]);
    }
    close(control[0]);
    close(report[1]);
    uint32_t length = 0;
    read_fully(report[0], &length, sizeof length);
    if (length == 0 || length > 4096) {
        fprintf(stderr, "error: the fan-in server process sent no endpoint\n");
        exit(1);
    }
    char *endpoint = allocate(length + 1);
    read_fully(report[0], endpoint, length);
    endpoint[length] = '\0';

    void *context = make_context(options->io_threads);
    // Room for every client's socket and libzmq's own, beyond the default 1023.
    if (clients + 16 > 1023) {
        check(zmq_ctx_set(context, ZMQ_MAX_SOCKETS, (int)(clients + 16)));
    }
    unsigned char *payload = make_payload(size);
    barrier_t ready;
    barrier_init(&ready, clients + 1);
    client_job_t *jobs = allocate(clients * sizeof *jobs);
    pthread_t *threads = allocate(clients * sizeof *threads);
    for (size_t i = 0; i < clients; i++) {
        // N/C each; the first N%C clients take one more, so that exactly N are timed.
        jobs[i] = (client_job_t){
            .context = context,
            .endpoint = endpoint,
            .payload = payload,
            .size = size,
            .requests = count / clients + (i < count % clients ? 1 : 0),
            .ready = &ready,
            .cpu_ns = 0,
        };
        threads[i] = start_thread(fanin_client, &jobs[i]);
    }
    // Every client has made one untimed round trip: both sides' connections are up.
    barrier_wait(&ready);
    unsigned char start_byte = 's';
    write_fully(control[1], &start_byte, 1);
    uint64_t start = now_ns();
    uint64_t process_start = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t main_start = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    for (size_t i = 0; i < clients; i++) {
        join_thread(threads[i]);
    }
    uint64_t elapsed = now_ns() - start;
    // The client threads have ended; the process clock keeps the time of ended threads.
    uint64_t main_cpu = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - main_start;
    uint64_t process_cpu = cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - process_start;
    unsigned char stop_byte = 'e';
    write_fully(control[1], &stop_byte, 1);
    side_cpu_t server;
    read_fully(report[0], &server, sizeof server);
    uint64_t client_cpu = 0;
    for (size_t i = 0; i < clients; i++) {
        client_cpu += jobs[i].cpu_ns;
    }
    uint64_t own = client_cpu + main_cpu;
    uint64_t client_io = process_cpu > own ? process_cpu - own : 0;

    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            fail_errno(errno);
        }
    }
    close(control[1]);
    close(report[0]);
    terminate_context(context);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "error: the fan-in server process failed\n");
        exit(1);
    }

    double seconds = (double)elapsed / 1e9;
    double per_request_us = 1.0 / (double)count / 1000.0;
    printf("{\"mode\":\"fanin\",\"clients\":%zu,\"requests\":%zu,\"size\":%zu,\"seconds\":%.6f,\"rps\":%.1f,"
           "\"client_app_cpu_us\":%.3f,\"client_io_cpu_us\":%.3f,\"server_app_cpu_us\":%.3f,\"server_io_cpu_us\":%.3f}\n",
           clients, count, size, seconds, seconds > 0 ? (double)count / seconds : 0.0,
           (double)client_cpu * per_request_us,
           (double)client_io * per_request_us,
           (double)server.app_ns * per_request_us,
           (double)server.io_ns * per_request_us);
    fflush(stdout);

    barrier_destroy(&ready);
    free(threads);
    free(jobs);
    free(payload);
    free(endpoint);
    return 0;
}

// MARK: - echo-server

// The self-pipe: the signal handler writes to it, the loop polls it next to the socket, so a
// signal that lands just before zmq_poll blocks is still seen (setting a flag alone would be
// missed until the next message).
static int wakeup_pipe[2] = {-1, -1};
static volatile sig_atomic_t interrupted = 0;

static void on_signal(int signal_number) {
    (void)signal_number;
    int saved = errno;
    interrupted = 1;
    unsigned char byte = 1;
    // Nothing useful to do if the pipe is full: a byte is already waiting.
    ssize_t written = write(wakeup_pipe[1], &byte, 1);
    (void)written;
    errno = saved;
}

static void install_signal_handlers(void) {
    if (pipe(wakeup_pipe) != 0) {
        fail_errno(errno);
    }
    for (int i = 0; i < 2; i++) {
        int flags = fcntl(wakeup_pipe[i], F_GETFL, 0);
        if (flags < 0 || fcntl(wakeup_pipe[i], F_SETFL, flags | O_NONBLOCK) != 0) {
            fail_errno(errno);
        }
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    // No SA_RESTART: blocking calls return EINTR, and every loop below checks the flag then.
    action.sa_flags = 0;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGINT, &action, NULL) != 0 || sigaction(SIGTERM, &action, NULL) != 0) {
        fail_errno(errno);
    }
    // A parent may start us with these signals blocked (the mask is inherited from the thread
    // that spawned us); unblock them, or they would stay pending for ever.
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    if (pthread_sigmask(SIG_UNBLOCK, &wanted, NULL) != 0) {
        fail_errno(errno);
    }
}

static int run_echo_server(const options_t *options) {
    if (options->bind == NULL) {
        usage("echo-server needs --bind");
    }
    install_signal_handlers();
    void *context = make_context(options->io_threads);
    void *socket = make_socket(context, ZMQ_REP);
    char *endpoint = bind_socket(socket, options->bind);
    printf("listening %s\n", endpoint);
    fflush(stdout);

    zmq_pollitem_t items[2] = {
        {.socket = socket, .fd = 0, .events = ZMQ_POLLIN, .revents = 0},
        {.socket = NULL, .fd = wakeup_pipe[0], .events = ZMQ_POLLIN, .revents = 0},
    };
    while (!interrupted) {
        if (zmq_poll(items, 2, -1) < 0) {
            if (zmq_errno() == EINTR) {
                continue;
            }
            fail_zmq();
        }
        if (items[1].revents & ZMQ_POLLIN) {
            break;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            // A signal during the exchange is retried inside; the flag is checked once the reply
            // is out, so a request that arrived is always answered.
            if (echo_message(socket, ZMQ_DONTWAIT) == FRAME_TERMINATED) {
                break;
            }
        }
    }

    close_socket(socket);
    terminate_context(context);
    free(endpoint);
    close(wakeup_pipe[0]);
    close(wakeup_pipe[1]);
    return 0;
}

// MARK: - main

int main(int argc, char **argv) {
    options_t options = parse(argc, argv);
    if (strcmp(options.mode, "rtt") == 0) {
        return run_rtt(&options);
    }
    if (strcmp(options.mode, "fanin") == 0) {
        return run_fanin(&options);
    }
    if (strcmp(options.mode, "echo-server") == 0) {
        return run_echo_server(&options);
    }
    fprintf(stderr, "error: unknown mode \"%s\"\n", options.mode);
    usage(NULL);
}
