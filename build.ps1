#!/usr/bin/env pwsh
<#
.SYNOPSIS
  MeshCore build entry point.

.DESCRIPTION
  PowerShell is not installed on a fresh Linux machine; it comes from the local tool manifest:

      dotnet tool restore && dotnet pwsh ./build.ps1 <target> [options]

  Targets:
    build                 Release build of the whole solution.
    test                  Installs the interop peers (npm, interop/*), then runs every test project. This is the
                          command README.md and .ci/run use.
    bench [-Filter F]     BenchmarkDotNet suites (bench/Mesh.Benchmarks); F is a BenchmarkDotNet glob, e.g. '*Varint*'.
                          Add -Full for BenchmarkDotNet's default (longer) job.
    fuzz TARGET [-Seconds N]
                          A coverage-guided AFL++ campaign on one fuzz target for N seconds (default 600).
                          `fuzz list` prints the targets. Findings land in fuzz/findings/TARGET.
    publish [-Smoke]      Native-AOT `mesh` for linux-x64 into artifacts/publish/linux-x64; -Smoke then runs the
                          published binary's smoke test (keygen, a two-node DHT, store and get).
    interop               Only the interop tests (js-libp2p, chopsticks, the published binary).
#>
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'bench', 'fuzz', 'publish', 'interop')]
    [string] $Target = 'build',

    [Parameter(Position = 1)]
    [string] $FuzzTarget = '',

    [string] $Filter = '*',
    [switch] $Full,
    [int] $Seconds = 600,
    [switch] $Smoke,
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$Solution = Join-Path $Root 'MeshCore.sln'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Native {
    param([string] $File, [string[]] $Arguments, [string] $WorkingDirectory = $Root)
    Write-Host "> $File $($Arguments -join ' ')" -ForegroundColor Cyan
    Push-Location $WorkingDirectory
    try {
        & $File @Arguments
        if ($LASTEXITCODE -ne 0) { throw "$File exited with code $LASTEXITCODE" }
    }
    finally { Pop-Location }
}

# Installs the npm packages of every interop/<name>/package.json (js-libp2p peers, chopsticks, Node 22).
function Install-InteropPeers {
    foreach ($pkg in Get-ChildItem -Path (Join-Path $Root 'interop') -Filter package.json -Recurse -Depth 1 -ErrorAction SilentlyContinue) {
        $dir = $pkg.DirectoryName
        if ($dir -match 'node_modules') { continue }
        $stamp = Join-Path $dir 'node_modules/.meshcore-installed'
        $lock = Join-Path $dir 'package-lock.json'
        if ((Test-Path $stamp) -and ((Get-Item -Force $stamp).LastWriteTimeUtc -ge (Get-Item $lock).LastWriteTimeUtc)) { continue }
        if (-not (Get-Command npm -ErrorAction SilentlyContinue)) {
            Write-Warning "npm is not on PATH: interop peers in $dir are not installed; their tests will skip."
            continue
        }
        Invoke-Native npm @('ci', '--no-audit', '--no-fund', '--loglevel=error') $dir
        New-Item -ItemType File -Force -Path $stamp | Out-Null
    }
}

function Invoke-Build {
    Invoke-Native dotnet @('build', $Solution, '-c', $Configuration, '-nologo')
}

function Invoke-Test {
    Install-InteropPeers
    Invoke-Build
    # One dotnet test over the solution; --blame-hang-timeout turns a hung test into a failure with a dump
    # instead of a CI timeout. The console logs failures as they happen and one line per project; the trx files
    # feed the summary printed last, so the end of a CI log names every failed test.
    $results = Join-Path $Root 'artifacts/test-results'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    $testArgs = @('test', $Solution, '-c', $Configuration, '--no-build', '-nologo', '--blame-hang-timeout', '5m',
        '--logger', 'console;verbosity=minimal', '--logger', 'trx', '--results-directory', $results)
    Write-Host "> dotnet $($testArgs -join ' ')" -ForegroundColor Cyan
    Push-Location $Root
    try {
        & dotnet @testArgs
        $code = $LASTEXITCODE
    }
    finally { Pop-Location }
    Write-TestSummary $results
    if ($code -ne 0) { throw "dotnet test exited with code $code" }
}

# Per test project: passed / failed / skipped, then each failed test with the start of its message.
function Write-TestSummary {
    param([string] $Results)
    $files = @(Get-ChildItem -Path $Results -Filter *.trx -Recurse -ErrorAction SilentlyContinue)
    if ($files.Count -eq 0) {
        Write-Host '== test summary: no test results were written' -ForegroundColor Red
        return
    }
    $failures = [System.Collections.Generic.List[string]]::new()
    $total = @{ passed = 0; failed = 0; skipped = 0 }
    Write-Host ''
    Write-Host '== test summary'
    foreach ($file in $files) {
        # -LiteralPath: two projects finishing in the same second get "name[1].trx", and [1] is a wildcard to -Path.
        [xml] $trx = Get-Content -Raw -LiteralPath $file.FullName
        $ns = @{ t = 'http://microsoft.com/schemas/VisualStudio/TeamTest/2010' }
        $counters = (Select-Xml -Xml $trx -XPath '//t:ResultSummary/t:Counters' -Namespace $ns).Node
        $method = (Select-Xml -Xml $trx -XPath '//t:TestMethod' -Namespace $ns | Select-Object -First 1).Node
        $project = if ($method) { [System.IO.Path]::GetFileNameWithoutExtension($method.codeBase) } else { $file.BaseName }
        $passed = [int] $counters.passed
        $failed = [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
        $skipped = [int] $counters.notExecuted
        $total.passed += $passed; $total.failed += $failed; $total.skipped += $skipped
        $color = if ($failed -gt 0) { 'Red' } else { 'Green' }
        Write-Host ('  {0,-36} passed {1,5}  failed {2,3}  skipped {3,3}' -f $project, $passed, $failed, $skipped) -ForegroundColor $color
        foreach ($result in (Select-Xml -Xml $trx -XPath "//t:UnitTestResult[@outcome='Failed']" -Namespace $ns)) {
            $message = (Select-Xml -Xml $result.Node -XPath './/t:ErrorInfo/t:Message' -Namespace $ns | Select-Object -First 1)
            $text = if ($message) { ($message.Node.InnerText -split "`n" | Select-Object -First 6) -join "`n      " } else { '(no message)' }
            $failures.Add("  ${project}: $($result.Node.testName)`n      $text")
        }
    }
    Write-Host ('  {0,-36} passed {1,5}  failed {2,3}  skipped {3,3}' -f 'total', $total.passed, $total.failed, $total.skipped)
    if ($failures.Count -gt 0) {
        Write-Host '== failed tests' -ForegroundColor Red
        $failures | ForEach-Object { Write-Host $_ -ForegroundColor Red }
    }
}

function Invoke-Bench {
    $benchArgs = @('run', '-c', 'Release', '--project', (Join-Path $Root 'bench/Mesh.Benchmarks'), '--', '--filter', $Filter)
    if ($Full) { $benchArgs += '--full' }
    Invoke-Native dotnet $benchArgs
}

function Invoke-Fuzz {
    $harness = Join-Path $Root 'fuzz/Mesh.Fuzz'
    $out = Join-Path $Root 'fuzz/out'
    # Start from a clean output: SharpFuzz instruments in place and refuses an already instrumented assembly, and an
    # incremental publish would keep the instrumented copies from the last run.
    if (Test-Path $out) { Remove-Item -Recurse -Force $out }
    # PublishAot=false: the harness references Mesh.Node (PublishAot=true), which would otherwise count as a
    # self-contained executable that a framework-dependent one cannot reference (NETSDK1151).
    Invoke-Native dotnet @('publish', $harness, '-c', 'Release', '-o', $out, '-nologo', '-p:PublishAot=false')
    $exe = Join-Path $out 'Mesh.Fuzz'
    if ($FuzzTarget -eq '' -or $FuzzTarget -eq 'list') {
        Invoke-Native $exe @('--list')
        return
    }
    # Instrument only the assemblies under test, in place (SharpFuzz recipe, fuzzing.md step 3).
    foreach ($asm in @('Mesh.Multistream.dll', 'Mesh.Transport.dll', 'Mesh.Kademlia.dll', 'mesh.dll')) {
        $path = Join-Path $out $asm
        if (Test-Path $path) { Invoke-Native dotnet @('sharpfuzz', $path) }
    }
    if (-not (Get-Command afl-fuzz -ErrorAction SilentlyContinue)) {
        Write-Host 'afl-fuzz not found; installing Debian package afl++' -ForegroundColor Yellow
        # A fresh image has empty package lists ("Unable to locate package afl++"): update them first.
        $sudo = if ((& id -u) -eq '0') { @() } else { @('sudo') }
        $aptGet = if ($sudo) { 'sudo' } else { 'apt-get' }
        Invoke-Native $aptGet ($(if ($sudo) { @('apt-get') } else { @() }) + @('update'))
        Invoke-Native $aptGet ($(if ($sudo) { @('apt-get') } else { @() }) + @('install', '-y', 'afl++'))
    }
    $corpus = Join-Path $Root "fuzz/corpus/$FuzzTarget"
    if (-not (Test-Path $corpus)) { throw "no seed corpus at $corpus" }
    $findings = Join-Path $Root "fuzz/findings/$FuzzTarget"
    New-Item -ItemType Directory -Force -Path $findings | Out-Null
    $env:AFL_SKIP_BIN_CHECK = '1'
    $env:AFL_NO_UI = '1'
    $env:AFL_SKIP_CPUFREQ = '1'
    $env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'
    # A second campaign on the same target resumes from its queue instead of refusing the existing findings folder.
    $env:AFL_AUTORESUME = '1'
    $aflArgs = @('-i', $corpus, '-o', $findings, '-t', '5000', '-m', 'none', '-V', "$Seconds")
    $dict = Join-Path $Root "fuzz/dict/$FuzzTarget.dict"
    if (Test-Path $dict) { $aflArgs += @('-x', $dict) }
    $aflArgs += @('--', $exe, $FuzzTarget)
    Invoke-Native afl-fuzz $aflArgs
    $stats = Join-Path $findings 'default/fuzzer_stats'
    if (Test-Path $stats) {
        $s = @{}
        foreach ($line in Get-Content $stats) {
            $kv = $line -split '\s*:\s*', 2
            if ($kv.Count -eq 2) { $s[$kv[0].Trim()] = $kv[1].Trim() }
        }
        Write-Host ("fuzz $FuzzTarget : {0} execs in {1} s ({2} execs/s), corpus {3}, edges {4}, crashes {5}, hangs {6}" -f `
            $s['execs_done'], $s['run_time'], $s['execs_per_sec'], $s['corpus_count'], $s['bitmap_cvg'], $s['saved_crashes'], $s['saved_hangs'])
    }
    $crashes = @(Get-ChildItem -Path (Join-Path $findings 'default/crashes') -Filter 'id*' -ErrorAction SilentlyContinue)
    Write-Host "fuzz $FuzzTarget : $($crashes.Count) crash input(s) in $findings/default/crashes"
    if ($crashes.Count -gt 0) { exit 1 }
}

function Invoke-Publish {
    $out = Join-Path $Root 'artifacts/publish/linux-x64'
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/Mesh.Node'), '-c', 'Release', '-r', 'linux-x64',
        '-p:PublishAot=true', '-o', $out, '-nologo')
    $bin = Join-Path $out 'mesh'
    $size = (Get-Item $bin).Length
    Write-Host ("published {0} ({1:N1} MiB)" -f $bin, ($size / 1MB))
    if ($Smoke) {
        $smokeScript = Join-Path $Root 'eng/smoke.sh'
        Invoke-Native bash @($smokeScript, $bin)
    }
}

function Invoke-Interop {
    Install-InteropPeers
    Invoke-Native dotnet @('test', (Join-Path $Root 'tests/Mesh.Interop.Tests'), '-c', $Configuration, '-nologo',
        '--logger', 'console;verbosity=normal')
}

switch ($Target) {
    'build' { Invoke-Build }
    'test' { Invoke-Test }
    'bench' { Invoke-Bench }
    'fuzz' { Invoke-Fuzz }
    'publish' { Invoke-Publish }
    'interop' { Invoke-Interop }
}
