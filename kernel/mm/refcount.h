/*
 * Ownership of user frames. The base kernel gives each user page its own
 * frame, so dropping a mapping frees it; lab 9b's copy-on-write makes frames
 * shared and counts references here. user_frames counts the frames held by
 * user pages, so the power-off report can show leaks.
 */
#pragma once
#include <stdint.h>
#include "mm/memlayout.h"

extern volatile uint64_t user_frames;

/* A zeroed frame for a user page (0 when memory is exhausted). */
paddr_t user_frame_alloc(void);
/* Drop one reference to a user frame; the last one frees it. */
void frame_put(paddr_t pa);
