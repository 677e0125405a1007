/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Go 1.24 and later get
 * their random numbers from ProcessPrng there and abort at start without
 * it. ProcessPrng fills the buffer from RtlGenRandom (advapi32's
 * SystemFunction036), which Wine has. Only for running Windows builds
 * under Wine (installers/wine.sh); never shipped.
 *
 * Wine 8 also answers WSAIoctl(SIO_UDP_NETRESET) with WSAEOPNOTSUPP (Wine 9
 * accepts it), and Go 1.23 and later refuse to open any UDP socket then
 * ("listen udp: wsaioctl: winapi error #10045"), so QUIC and WebRTC could
 * not start. The Go runtime loads this DLL first thing; when it does, the
 * program's import of GetProcAddress is pointed at a wrapper that hands out
 * a WSAIoctl which accepts SIO_UDP_NETRESET (on Windows it only turns off
 * error reports for unreachable networks) and passes every other request
 * to Wine's.
 */
#include <windows.h>
#include <string.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
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

#define SIO_UDP_NETRESET_CODE 0x9800000Fu

typedef int (WINAPI *wsaioctl_fn)(UINT_PTR, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD, LPVOID, LPVOID);
typedef FARPROC (WINAPI *getprocaddress_fn)(HMODULE, LPCSTR);

static getprocaddress_fn real_getprocaddress;
static wsaioctl_fn real_wsaioctl;

static int WINAPI wine8_wsaioctl(UINT_PTR s, DWORD code, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
				 LPDWORD ret, LPVOID overlapped, LPVOID completion)
{
	if (code == SIO_UDP_NETRESET_CODE) {
		if (ret)
			*ret = 0;
		return 0;
	}
	return real_wsaioctl(s, code, in, inlen, out, outlen, ret, overlapped, completion);
}

static FARPROC WINAPI wrapped_getprocaddress(HMODULE module, LPCSTR name)
{
	FARPROC p = real_getprocaddress(module, name);
	if (p && (ULONG_PTR)name > 0xffff && strcmp(name, "WSAIoctl") == 0) {
		real_wsaioctl = (wsaioctl_fn)p;
		return (FARPROC)wine8_wsaioctl;
	}
	return p;
}

/* patch_getprocaddress points the program's import of kernel32's
 * GetProcAddress at wrapped_getprocaddress. */
static void patch_getprocaddress(void)
{
	BYTE *base = (BYTE *)GetModuleHandleA(NULL);
	IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
	IMAGE_DATA_DIRECTORY dir = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
	if (dir.VirtualAddress == 0)
		return;
	for (IMAGE_IMPORT_DESCRIPTOR *d = (IMAGE_IMPORT_DESCRIPTOR *)(base + dir.VirtualAddress); d->Name; d++) {
		if (lstrcmpiA((char *)(base + d->Name), "kernel32.dll") != 0 || !d->OriginalFirstThunk)
			continue;
		IMAGE_THUNK_DATA *names = (IMAGE_THUNK_DATA *)(base + d->OriginalFirstThunk);
		IMAGE_THUNK_DATA *slots = (IMAGE_THUNK_DATA *)(base + d->FirstThunk);
		for (; names->u1.AddressOfData; names++, slots++) {
			if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal))
				continue;
			IMAGE_IMPORT_BY_NAME *byname = (IMAGE_IMPORT_BY_NAME *)(base + names->u1.AddressOfData);
			if (strcmp((char *)byname->Name, "GetProcAddress") != 0)
				continue;
			DWORD old;
			if (!VirtualProtect(&slots->u1.Function, sizeof(slots->u1.Function), PAGE_READWRITE, &old))
				return;
			real_getprocaddress = (getprocaddress_fn)slots->u1.Function;
			slots->u1.Function = (ULONG_PTR)wrapped_getprocaddress;
			VirtualProtect(&slots->u1.Function, sizeof(slots->u1.Function), old, &old);
			return;
		}
	}
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst;
	(void)reserved;
	if (reason == DLL_PROCESS_ATTACH)
		patch_getprocaddress();
	return TRUE;
}
