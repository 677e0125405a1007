/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Go 1.24 and later get
 * their random numbers from ProcessPrng there and abort at start without
 * it. ProcessPrng fills the buffer from RtlGenRandom (advapi32's
 * SystemFunction036), which Wine has. Only for running Windows builds
 * under Wine (installers/wine.sh); never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
