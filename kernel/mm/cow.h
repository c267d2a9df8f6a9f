/* What fork does with each user page (lab 9b turns copying into sharing). */
#pragma once
#include "mm/paging.h"

/* Give the child table dst a mapping of va like the parent's pte: 0 or -ENOMEM. */
int fork_copy_user(paddr_t dst_pml4, vaddr_t va, pte_t pte);
