/**
 * A stand-in for Windows' bcryptprimitives.dll, which Wine 8 (Debian 12) lacks. Go >= 1.24 reads random
 * bytes through its ProcessPrng at startup and aborts without it ("fatal error: bcryptprimitives.dll not
 * found"), so no Go program runs under that Wine. The runner builds it with the target's CC wrapper
 * (`-shared`) the first time it runs a program, into the private Wine prefix's system32 (syswow64 for
 * 32-bit programs): Go loads it with LOAD_LIBRARY_SEARCH_SYSTEM32, so a copy beside the .exe is not
 * looked at. Wine 9.x has its own, which a native DLL in the prefix does not disturb.
 */
export const WINE_PRNG_STUB_C = `#include <windows.h>

/* RtlGenRandom, exported by advapi32 under this name. */
BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

/* On 386, stdcall names are decorated and exported as ProcessPrng@8, which GetProcAddress("ProcessPrng")
 * does not find (Go then calls address 0): the label gives the plain name. */
#if defined(__i386__)
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) __asm__("_ProcessPrng");
#endif

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
	while (length > 0) {
		ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, chunk)) return FALSE;
		data += chunk;
		length -= chunk;
	}
	return TRUE;
}
`;
