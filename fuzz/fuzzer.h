/*
 * fuzzer.h - what every fuzz target shares.  A target defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer
 * (-Dfuzz=true, clang) or with main.c, which replays the target's corpus
 * so `meson test` runs every corpus file through it in a normal build.
 */
#ifndef MM_FUZZER_H
#define MM_FUZZER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
