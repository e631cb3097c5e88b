// libcurl (Debian's libcurl4-openssl-dev) for the email alerts' SMTP. curl_easy_setopt is
// variadic, which Swift cannot call: these wrappers fix its argument's type.
#include <curl/curl.h>

static inline CURLcode runclinic_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode runclinic_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode runclinic_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*runclinic_curl_read_callback)(char *buffer, size_t size, size_t count, void *context);

static inline CURLcode runclinic_curl_set_read_function(CURL *handle, runclinic_curl_read_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}
