// libpq (PostgreSQL's C client), loaded with dlopen on first use of a PostgreSQL store: the
// binary then starts, and serves SQLite stores, where libpq5 is not installed (a pip-installed
// wheel), and a PostgreSQL store without it is one clear error. The prototypes are libpq-fe.h's
// own, so the compiler checks every entry point against Debian's libpq-dev.
#ifndef RUNCLINIC_LIBPQ_LOADER_H
#define RUNCLINIC_LIBPQ_LOADER_H

#include <postgresql/libpq-fe.h>  // Debian and Ubuntu: libpq-dev

typedef struct rc_libpq {
    __typeof__(PQconnectdb) *connectdb;
    __typeof__(PQfinish) *finish;
    __typeof__(PQstatus) *status;
    __typeof__(PQtransactionStatus) *transactionStatus;
    __typeof__(PQerrorMessage) *errorMessage;
    __typeof__(PQsocket) *socket;
    __typeof__(PQexec) *exec;
    __typeof__(PQexecParams) *execParams;
    __typeof__(PQsendQueryParams) *sendQueryParams;
    __typeof__(PQenterPipelineMode) *enterPipelineMode;
    __typeof__(PQexitPipelineMode) *exitPipelineMode;
    __typeof__(PQpipelineSync) *pipelineSync;
    __typeof__(PQresultStatus) *resultStatus;
    __typeof__(PQresultErrorMessage) *resultErrorMessage;
    __typeof__(PQresultErrorField) *resultErrorField;
    __typeof__(PQntuples) *ntuples;
    __typeof__(PQnfields) *nfields;
    __typeof__(PQgetvalue) *getvalue;
    __typeof__(PQgetlength) *getlength;
    __typeof__(PQgetisnull) *getisnull;
    __typeof__(PQclear) *clear;
    __typeof__(PQconsumeInput) *consumeInput;
    __typeof__(PQnotifies) *notifies;
    __typeof__(PQfreemem) *freemem;
    __typeof__(PQsetNoticeProcessor) *setNoticeProcessor;
    __typeof__(PQputCopyData) *putCopyData;
    __typeof__(PQputCopyEnd) *putCopyEnd;
    __typeof__(PQgetResult) *getResult;
    __typeof__(PQsetnonblocking) *setnonblocking;
    __typeof__(PQflush) *flush;
    __typeof__(PQisBusy) *isBusy;
} rc_libpq;

/// Loads libpq once (the first of `names`, a colon-separated list, that loads). Returns NULL and
/// points `error` at a static message when none loads or one lacks an entry point.
const rc_libpq *rc_libpq_load(const char *names, const char **error);

/// A notice processor that drops server notices ("relation already exists, skipping"): libpq's
/// default writes them to stderr, which carries the server's own log.
void rc_libpq_ignore_notice(void *context, const char *message);

#endif
