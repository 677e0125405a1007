# RelayDesk. `make run` starts a local relay; `make test` runs every test.
GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
DATA    ?= relay-data
ADDR    ?= 127.0.0.1:4433

.PHONY: all build deps run serve test bench fuzz clean windows

# cgo compiles C with clang (installers/deps.sh installs it). For each C
# name a package uses, cgo compiles probes that fail for most kinds of
# name, and GCC looks for a "did you mean" spelling for every unknown one
# among all the names in scope: over go-gl (Fyne's OpenGL, 5,700 names)
# cgo's run took 336 s for Windows on an empty build cache (about 190 s for
# Linux); clang stops suggesting after 50 and took 6 s. CC=gcc make ...
# uses GCC.
CC := $(if $(filter command line environment,$(origin CC)),$(CC),clang)
export CC

all: build

# Installs the Debian packages it needs first (libvpx, X11 and GL headers).
build: deps
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/relay ./relay/cmd/relay
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/sos ./agent/cmd/sos
	mkdir -p $(BIN)/downloads && cp $(BIN)/sos $(BIN)/downloads/sos-linux-$$($(GO) env GOARCH)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/console ./console/cmd/console
	if command -v x86_64-w64-mingw32-gcc >/dev/null; then ./installers/windows.sh sos $(BIN)/downloads/sos-windows-amd64.exe '$(LDFLAGS)'; fi

# The Windows SOS app and console, cross-built with mingw: single .exe files
# with libvpx and libyuv linked statically (built once from Debian's sources
# into ~/.cache/relaydesk by installers/winlibs.sh). installers/sign.sh signs
# them; installers/wine.sh runs them here.
windows: deps
	./installers/windows.sh sos $(BIN)/downloads/sos-windows-amd64.exe '$(LDFLAGS)'
	./installers/windows.sh console $(BIN)/console-windows-amd64.exe '$(LDFLAGS)'

deps:
	./installers/deps.sh

# The relay on localhost with its defaults, plus a local demo (installers/run.sh).
run: deps build
	DATA=$(DATA) ADDR=$(ADDR) ./installers/run.sh

# Only the relay.
serve: deps build
	./$(BIN)/relay serve --data $(DATA) --addr $(ADDR) --downloads $(BIN)/downloads

# Every test, the end-to-end ones included (they build and run the binaries),
# all with the race detector: the test binaries and the relay, sos and
# console binaries the end-to-end tests run (a race they report fails the test).
# Everything compiles once, with -race (vet too, so it reuses those packages):
# a cold machine compiled the cgo programs four times over before (race,
# plain, -trimpath for `make build`, and vet's plain packages), 300-400 s of
# CPU each. The tests build the release binaries' packages themselves.
# Four tests at once: most end-to-end tests wait on their programs; the
# ones that time or count what load changes stay serial (relay/e2e's
# parallel; RELAYDESK_E2E_SERIAL=1 runs them all alone).
test: deps
	$(GO) vet -race ./...
	RELAYDESK_E2E_RACE=1 $(GO) test -race -count=1 -parallel 4 -timeout 40m ./...

# End-to-end figures, printed as tables and written as JSON: the control
# plane (bench.json), remote view and control on Xvfb (bench-screen.json),
# the console window keeping up with 1080p at 30 fps (bench-console.json)
# and file transfer on loopback, direct and through TURN (bench-files.json).
bench: deps build
	$(GO) run ./relay/cmd/relaybench -out bench.json
	$(GO) run ./agent/cmd/screenbench -bin $(BIN) -out bench-screen.json
	$(GO) run ./console/cmd/consolebench -bin $(BIN) -runs 3 -out bench-console.json
	$(GO) run ./console/cmd/filebench -bin $(BIN) -out bench-files.json

# Run every fuzz target for a short while.
fuzz:
	./installers/fuzz.sh 20s

clean:
	rm -rf $(BIN) bench.json bench-screen.json bench-console.json bench-files.json
