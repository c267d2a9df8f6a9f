/*
 * Ownership of user frames. The base kernel gives each user page its own
 * frame, so dropping a mapping frees it; lab 9b's copy-on-write makes frames
 * shared and counts references here.
 */
#pragma once
#include "mm/memlayout.h"

/* Drop one reference to a user frame; the last one frees it. */
void frame_put(paddr_t pa);
