#include "libpq_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static rc_libpq loaded;
static const rc_libpq *result;
static char failure[1024];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#define RESOLVE(field, symbol)                                                                   \
    do {                                                                                         \
        loaded.field = (__typeof__(loaded.field))dlsym(handle, #symbol);                         \
        if (!loaded.field) {                                                                     \
            snprintf(failure, sizeof failure, "%s lacks %s", name, #symbol);                     \
            return 0;                                                                            \
        }                                                                                        \
    } while (0)

static int resolve(void *handle, const char *name) {
    RESOLVE(connectdb, PQconnectdb);
    RESOLVE(finish, PQfinish);
    RESOLVE(status, PQstatus);
    RESOLVE(transactionStatus, PQtransactionStatus);
    RESOLVE(errorMessage, PQerrorMessage);
    RESOLVE(socket, PQsocket);
    RESOLVE(exec, PQexec);
    RESOLVE(execParams, PQexecParams);
    RESOLVE(sendQueryParams, PQsendQueryParams);
    RESOLVE(enterPipelineMode, PQenterPipelineMode);
    RESOLVE(exitPipelineMode, PQexitPipelineMode);
    RESOLVE(pipelineSync, PQpipelineSync);
    RESOLVE(resultStatus, PQresultStatus);
    RESOLVE(resultErrorMessage, PQresultErrorMessage);
    RESOLVE(resultErrorField, PQresultErrorField);
    RESOLVE(ntuples, PQntuples);
    RESOLVE(nfields, PQnfields);
    RESOLVE(getvalue, PQgetvalue);
    RESOLVE(getlength, PQgetlength);
    RESOLVE(getisnull, PQgetisnull);
    RESOLVE(clear, PQclear);
    RESOLVE(consumeInput, PQconsumeInput);
    RESOLVE(notifies, PQnotifies);
    RESOLVE(freemem, PQfreemem);
    RESOLVE(setNoticeProcessor, PQsetNoticeProcessor);
    RESOLVE(putCopyData, PQputCopyData);
    RESOLVE(putCopyEnd, PQputCopyEnd);
    RESOLVE(getResult, PQgetResult);
    RESOLVE(setnonblocking, PQsetnonblocking);
    RESOLVE(flush, PQflush);
    RESOLVE(isBusy, PQisBusy);
    return 1;
}

const rc_libpq *rc_libpq_load(const char *names, const char **error) {
    pthread_mutex_lock(&lock);
    if (!result && !failure[0]) {
        char list[1024];
        snprintf(list, sizeof list, "%s", names);
        char tried[512] = "";
        for (char *save = NULL, *name = strtok_r(list, ":", &save); name; name = strtok_r(NULL, ":", &save)) {
            void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
            if (!handle) {
                snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s%s", tried[0] ? ", " : "", name);
                continue;
            }
            if (resolve(handle, name)) result = &loaded;
            break;
        }
        if (!result && !failure[0]) snprintf(failure, sizeof failure, "none of %s could be loaded", tried);
    }
    pthread_mutex_unlock(&lock);
    if (!result && error) *error = failure;
    return result;
}

void rc_libpq_ignore_notice(void *context, const char *message) {
    (void)context;
    (void)message;
}
