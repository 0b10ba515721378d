#!/usr/bin/env bats
# cli.bats: the command frame a user meets first: help, version, errors,
# exit codes, and commands that are not in this build.

load helpers

@test "kiln --help lists the built commands and the exit codes" {
	run kiln --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: kiln [GLOBAL OPTIONS] COMMAND"* ]]
	[[ "$output" == *"version   show version"* ]]
	[[ "$output" == *"Exit status: 0 success, 1 the work failed, 2 bad usage or input."* ]]
}

@test "kiln with no command says so and exits 2" {
	run kiln
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: no command given; see 'kiln --help'" ]
}

@test "an unknown command is an error naming it" {
	run kiln frobnicate
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: 'frobnicate' is not a kiln command; see 'kiln --help'" ]
}

@test "a command that is not in this build names its config symbol" {
	grep -q '^CONFIG_REGISTRY=y' "$KILN_CONFIG" && skip "CONFIG_REGISTRY is on in this build"
	run kiln push reg:5000/app:1
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: 'push' is not in this build (CONFIG_REGISTRY=n)" ]
	run kiln --help
	[[ "$output" == *"Not in this build:"*" push"* ]]
}

@test "kiln version prints version, revision, arch and the config's features" {
	run kiln version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^kiln\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[[ "${lines[1]}" =~ ^revision:\ +[0-9a-f]{7,}(-dirty)?$|^revision:\ +unknown$ ]]
	[[ "${lines[2]}" == "arch: "*"(musl, static)" ]]
	want=$(config_features "$KILN_CONFIG" | tr '\n' ' ')
	got=$(printf '%s\n' "${lines[3]#features:}" | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ')
	[ "$got" = "$want" ]
}

@test "kiln version lists the image platforms of the config" {
	run kiln version
	plat=$(printf '%s\n' "$output" | sed -n 's/^platforms: *//p')
	if grep -q '^CONFIG_TARGET_ARM64=y' "$KILN_CONFIG"; then
		[[ " $plat " == *" linux/arm64 "* ]]
	fi
	if grep -q '^CONFIG_TARGET_ARM=y' "$KILN_CONFIG"; then
		[[ " $plat " == *" linux/arm/v7 "* && " $plat " == *" linux/arm/v6 "* ]]
	fi
	if grep -q '^CONFIG_TARGET_S390X=y' "$KILN_CONFIG"; then
		[[ " $plat " == *" linux/s390x "* ]]
	fi
}

@test "kiln version --short and kiln --version" {
	run kiln version --short
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
	run kiln --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "kiln version "* ]]
}

@test "an unknown option is a usage error that points at the help" {
	run kiln version --bogus
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: version: unknown option '--bogus'; see 'kiln version --help'" ]
	run kiln version -Z
	[ "$status" -eq 2 ]
	[ "$output" = "kiln: version: unknown option '-Z'; see 'kiln version --help'" ]
}

@test "an unexpected argument is a usage error" {
	run kiln version extra
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == "kiln: version: unexpected argument 'extra'" ]]
}

@test "kiln help CMD is kiln CMD --help" {
	run kiln help version
	[ "$status" -eq 0 ]
	a=$output
	run kiln version --help
	[ "$status" -eq 0 ]
	[ "$a" = "$output" ]
	[[ "$output" == "usage: kiln version"* ]]
	run kiln version -h
	[ "$output" = "$a" ]
}

@test "kiln help of an unknown command fails" {
	run kiln help nosuch
	[ "$status" -eq 2 ]
	assert_one_error_line
	[[ "$output" == *"'nosuch' is not a kiln command"* ]]
}

@test "help texts follow CONFIG_VERBOSE_HELP" {
	run kiln version --help
	if grep -q '^CONFIG_VERBOSE_HELP=y' "$KILN_CONFIG"; then
		[[ "$output" == *"print only the version number"* ]]
	else
		[[ "$output" != *"print only the version number"* ]]
		[[ "$output" == *"--short"* ]]
	fi
}

@test "log levels: --log-level, KILN_LOG and bad values" {
	run kiln --log-level=debug version --short
	[ "$status" -eq 0 ]
	run kiln --log-level bogus version
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: --log-level: unknown level 'bogus'" ]
	KILN_LOG=nonsense run kiln version
	[ "$status" -eq 2 ]
	[ "$output" = "kiln: KILN_LOG: unknown level 'nonsense'" ]
	KILN_LOG=trace run kiln -v version --short
	[ "$status" -eq 0 ]
	run kiln version --debug --short
	[ "$status" -eq 0 ]
}

@test "global options after the command are accepted, unknown ones are not" {
	run kiln version --root /tmp/nowhere --short
	[ "$status" -eq 0 ]
	run kiln --frob version
	[ "$status" -eq 2 ]
	assert_one_error_line
	[ "$output" = "kiln: unknown option '--frob'" ]
}

@test "a full disk on standard output is an error, exit 1" {
	[ -w /dev/full ] || skip "no /dev/full"
	run sh -c '"$KILN" version > /dev/full'
	[ "$status" -eq 1 ]
	[[ "$output" == "kiln: "*"No space left on device"* ]]
}
