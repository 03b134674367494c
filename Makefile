# sockwatch: bpf/*.bpf.c -> build/*.bpf.o -> build/*.skel.h -> build/sockwatch-sidecar,
# and src/ -> dist/ (TypeScript) and dist/bundle/main.js (esbuild: what bin/run.js loads).
# `make run` and `make test` install what is missing first.
# src/contract/contract.ts -> build/sw_contract.h, before the sidecar: the one contract both sides share.
.DELETE_ON_ERROR:
# keep the .bpf.o and skeleton between builds
.SECONDARY:
.PHONY: all sidecar cli deps run test bench manifest clean install uninstall

OUT      := build
SIDECAR  := $(OUT)/sockwatch-sidecar
CLANG    ?= clang
BPFTOOL  ?= bpftool
STRIP    ?= llvm-strip
CC       ?= cc
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Wno-missing-field-initializers -Wno-unused-parameter -Werror
BPF_CFLAGS := -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
              -I/usr/include/$(MULTIARCH) -Ibpf
# Hardened (docs/privileges.md): the sidecar carries capabilities, so it is built as a
# PIE with a stack protector, FORTIFY and full RELRO, and linked against Debian's shared
# libbpf, libelf, zlib, libcap, libpcap and glibc so that their security fixes reach it with apt.
HARDEN_CFLAGS  := -fPIE -fstack-protector-strong -fstack-clash-protection -D_FORTIFY_SOURCE=2
ifeq ($(ARCH),x86)
HARDEN_CFLAGS  += -fcf-protection
endif
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now,-z,noexecstack
CFLAGS     += $(HARDEN_CFLAGS)
LDFLAGS    += $(HARDEN_LDFLAGS)
LDLIBS     := -lbpf -lelf -lz -lcap -lpcap

# `make install`: where it goes (DESTDIR for a staging root), and the file root may
# write to raise a member's memory budget; the sidecar reads it from there.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
SW_CONFIG  := $(SYSCONFDIR)/sockwatch/sidecar.conf

SIDECAR_SRCS := $(wildcard sidecar/*.c)
# The file reader: its own files, and the writer's objects it shares with the sidecar.
# Its own binary, with no capabilities: reading a file needs no privilege.
READER       := $(OUT)/sockwatch-read
READER_SRCS  := $(wildcard sidecar/read/*.c)
READER_OBJS  := $(patsubst sidecar/read/%.c,$(OUT)/read/%.o,$(READER_SRCS)) \
                $(addprefix $(OUT)/,ndjson.o text.o out.o ifnames.o cgroups.o links.o savefile.o pcap.o pcapng.o)
SIDECAR_OBJS := $(patsubst sidecar/%.c,$(OUT)/%.o,$(SIDECAR_SRCS))
TS_SRCS      := $(shell find src -name '*.ts' 2>/dev/null)
CONTRACT     := $(OUT)/sw_contract.h

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

all: sidecar cli $(OUT)/sockwatch-gen $(OUT)/sockwatch-owner-probe

sidecar: $(SIDECAR) $(READER)
cli: dist/.built

$(OUT):
	$(Q)mkdir -p $@

# Generated from the one contract (needs tsx: `make deps`); rewritten only when it changes.
$(CONTRACT): src/contract/contract.ts scripts/gen-contract.mjs | $(OUT)
	$(call msg,GEN,$@)
	$(Q)node --import tsx scripts/gen-contract.mjs header $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(STRIP) -g $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUT)/%.o: sidecar/%.c $(wildcard sidecar/*.h) $(wildcard bpf/*.h) $(CONTRACT) $(OUT)/sockwatch.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -DSW_CONFIG_FILE='"$(SW_CONFIG)"' -I$(OUT) -Ibpf -c $< -o $@

$(OUT)/read/%.o: sidecar/read/%.c $(wildcard sidecar/read/*.h) $(wildcard sidecar/*.h) $(wildcard bpf/*.h) $(CONTRACT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -I$(OUT) -Ibpf -Isidecar -c $< -o $@

$(READER): $(READER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -lz -lpcap -o $@

$(SIDECAR): $(SIDECAR_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

dist/.built: $(TS_SRCS) tsconfig.json package.json package-lock.json oclif.manifest.json scripts/gen-help.mjs Makefile
	$(call msg,TSC,dist)
	$(Q)npx tsc -p tsconfig.json
# The bundle: main.js (oclif and every command); dynamic imports (Ink, the metrics endpoint)
# become chunks loaded on use; typescript (oclif's dev mode, off) and prom-client (CommonJS,
# imported on use) stay outside.
	$(call msg,BUNDLE,dist/bundle)
	$(Q)rm -rf dist/bundle
	$(Q)npx esbuild src/main.ts --bundle --platform=node --format=esm --target=node20 --splitting \
		--outdir=dist/bundle --external:typescript --external:react-devtools-core --external:prom-client --minify-syntax \
		--banner:js="import {createRequire as __cr} from 'node:module'; const require = __cr(import.meta.url);" \
		--log-level=warning
# prestart.js: one file of its own (~50 KB, nothing shared), what `capture --json` and -w load
	$(Q)npx esbuild src/prestart.ts --bundle --platform=node --format=esm --target=node20 \
		--outfile=dist/bundle/prestart.js --minify-syntax --log-level=warning
# oclif's help for each help command line, printed by bin/run.js without loading oclif
	$(call msg,HELP,dist/help.json)
	$(Q)node scripts/gen-help.mjs
	$(Q)touch $@

# Install what is missing (apt packages, npm ci); a no-op when all is there.
deps:
	$(Q)scripts/install-deps.sh

manifest: cli
	$(Q)npx oclif manifest >/dev/null

run: deps all
	./bin/sockwatch capture $(ARGS)

test: deps all
	node scripts/test.mjs $(ARGS)

# The loopback flood for the benchmark; then sockwatch beside tcpdump on it.
# `make bench ARGS='--n 200000 --repeats 1'` passes flags (bench/run.mjs --help).
GEN := $(OUT)/sockwatch-gen

$(GEN): bench/gen.c | $(OUT)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -o $@

# Tests only: the socket filter's owner lookup on crafted packets (owner-probe.test.ts).
$(OUT)/sockwatch-owner-probe: test/helpers/owner-probe.c $(wildcard bpf/*.h) $(OUT)/sockwatch.skel.h
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -I$(OUT) -Ibpf $< -lbpf -o $@

bench: deps all $(GEN)
	node bench/run.mjs $(ARGS)

# The installed sidecar is root:sockwatch 0750 with cap_bpf,cap_net_raw: only root and
# members of the sockwatch group can capture (docs/privileges.md). ATTRIBUTION=1 adds
# what process attribution needs. A rebuild never touches the installed copy.
install: all
	$(Q)DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SW_CONFIG="$(SW_CONFIG)" ATTRIBUTION="$(ATTRIBUTION)" \
		scripts/install.sh install

uninstall:
	$(Q)DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SW_CONFIG="$(SW_CONFIG)" scripts/install.sh uninstall

clean:
	rm -rf $(OUT) dist
