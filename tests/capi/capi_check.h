/* tests/capi/capi_check.h: the checks the C API test programs share. */
#ifndef EDGERT_TESTS_CAPI_CHECK_H_
#define EDGERT_TESTS_CAPI_CHECK_H_

#include <edgert.h>

#include <stdio.h>
#include <stdlib.h>

/* A call that must succeed; the rest of the test depends on it. */
#define MUST(call)                                                                                        \
  do {                                                                                                    \
    edgert_status must_status_ = (call);                                                                  \
    if (must_status_ != EDGERT_OK) {                                                                      \
      fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call, edgert_status_name(must_status_), \
              edgert_last_error());                                                                       \
      exit(1);                                                                                            \
    }                                                                                                     \
  } while (0)

#endif /* EDGERT_TESTS_CAPI_CHECK_H_ */
