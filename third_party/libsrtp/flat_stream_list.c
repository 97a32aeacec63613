/*
 * Parley's stream list for libsrtp (its SRTP_NO_STREAM_LIST extension point,
 * include/stream_list_priv.h). libsrtp's own list is a linked list walked
 * node by node for every packet; in an SFU a session has dozens of streams
 * (one per forwarded track and its RTX), and chasing those pointers cost 6 %
 * of the media worker. Here the SSRCs sit in one array, next to each other,
 * so a lookup reads a cache line or two.
 */
#include <stdlib.h>

#include "srtp_priv.h"
#include "stream_list_priv.h"

struct srtp_stream_list_ctx_t_ {
    uint32_t *ssrcs;
    srtp_stream_t *streams;
    size_t size;
    size_t capacity;
};

srtp_err_status_t srtp_stream_list_alloc(srtp_stream_list_t *list_ptr)
{
    srtp_stream_list_t list = calloc(1, sizeof(*list));
    if (list == NULL) {
        return srtp_err_status_alloc_fail;
    }
    *list_ptr = list;
    return srtp_err_status_ok;
}

srtp_err_status_t srtp_stream_list_dealloc(srtp_stream_list_t list)
{
    if (list->size != 0) {
        return srtp_err_status_fail;
    }
    free(list->ssrcs);
    free(list->streams);
    free(list);
    return srtp_err_status_ok;
}

srtp_err_status_t srtp_stream_list_insert(srtp_stream_list_t list,
                                          srtp_stream_t stream)
{
    if (list->size == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 16;
        uint32_t *ssrcs = realloc(list->ssrcs, capacity * sizeof(*ssrcs));
        if (ssrcs == NULL) {
            return srtp_err_status_alloc_fail;
        }
        list->ssrcs = ssrcs;
        srtp_stream_t *streams =
            realloc(list->streams, capacity * sizeof(*streams));
        if (streams == NULL) {
            return srtp_err_status_alloc_fail;
        }
        list->streams = streams;
        list->capacity = capacity;
    }
    list->ssrcs[list->size] = stream->ssrc;
    list->streams[list->size] = stream;
    ++list->size;
    return srtp_err_status_ok;
}

srtp_stream_t srtp_stream_list_get(srtp_stream_list_t list, uint32_t ssrc)
{
    for (size_t i = 0; i < list->size; ++i) {
        if (list->ssrcs[i] == ssrc) {
            return list->streams[i];
        }
    }
    return NULL;
}

void srtp_stream_list_remove(srtp_stream_list_t list, srtp_stream_t stream)
{
    for (size_t i = 0; i < list->size; ++i) {
        if (list->streams[i] == stream) {
            /* The last entry takes its place: for_each walks backwards, so
             * the entry moved has been visited already. */
            --list->size;
            list->ssrcs[i] = list->ssrcs[list->size];
            list->streams[i] = list->streams[list->size];
            return;
        }
    }
}

void srtp_stream_list_for_each(srtp_stream_list_t list,
                               int (*callback)(srtp_stream_t, void *),
                               void *data)
{
    for (size_t i = list->size; i > 0; --i) {
        /* The callback may remove entry i - 1, and nothing else. */
        if (callback(list->streams[i - 1], data)) {
            return;
        }
    }
}
