// SPDX-License-Identifier: MIT
// What the allocator holds, counted by glibc as it hands bytes out: a bound
// on what a structure keeps that does not depend on RSS and its timing.
#pragma once

#include <cstddef>
#include <malloc.h>

namespace zpcisim::test {

// The sanitizer brings its own allocator, which glibc's counts do not see,
// and reserves more address space than any limit on it leaves.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
constexpr bool kHeapCounted = !kSanitized;

// Bytes allocated and not yet freed, small blocks and mapped ones alike.
inline size_t heap_in_use()
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

}  // namespace zpcisim::test
