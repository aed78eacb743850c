#ifndef CZEROMQ_SHIM_H
#define CZEROMQ_SHIM_H

#include <zmq.h>
#include <errno.h>

// Macros Swift cannot import as constants, re-exposed as functions.
static inline int czmq_errno(void) { return zmq_errno(); }

#endif
