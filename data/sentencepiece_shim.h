// The C interface of libqtnas_sentencepiece.so, a small module that wraps SentencePiece. Why a module:
// Debian's libsentencepiece bundles protobuf 3.14 and exports its symbols, while LibTorch loads the system
// protobuf 3.21; in one global symbol scope one of them crashes at start-up. The module is loaded with
// dlopen(RTLD_LOCAL | RTLD_DEEPBIND) (data/sentencepiece_model.cpp), so SentencePiece binds to its own protobuf.
// Only plain C types cross this line; buffers are malloc'ed by the module and free()d by the caller.
#pragma once

#include <stddef.h>

extern "C" {

struct QtnasSpmBuffer {
  char* data;
  size_t size;
};

// Each function returns 0 on success; on failure it returns non-zero and puts a message in *error.
typedef int (*QtnasSpmTrainFn)(const char* const* texts, const size_t* lengths, size_t count,
                               const char* const* keys, const char* const* values, size_t nargs,
                               QtnasSpmBuffer* model, QtnasSpmBuffer* error);
typedef int (*QtnasSpmLoadFn)(const char* bytes, size_t size, void** handle, QtnasSpmBuffer* error);
typedef void (*QtnasSpmFreeFn)(void* handle);
// ids_out receives malloc'ed ints (count in *count).
typedef int (*QtnasSpmEncodeFn)(const void* handle, const char* text, size_t size, int** ids_out, size_t* count,
                                QtnasSpmBuffer* error);
// special[0..3] = pad, unk, bos, eos ids; returns the vocabulary size.
typedef int (*QtnasSpmInfoFn)(const void* handle, int special[4]);
typedef int (*QtnasSpmPieceFn)(const void* handle, int id, QtnasSpmBuffer* piece);
typedef int (*QtnasSpmSerializedFn)(const void* handle, QtnasSpmBuffer* bytes);

}  // extern "C"
