<?php
// Golden token vectors made by real PHP, for tests/test_signing.py.
//
//   php tests/php/gen_vectors.php > tests/php/vectors.json
//
// Each vector records:
//   payload  the signature array as JSON with JSON_PRESERVE_ZERO_FRACTION, so that Python
//            loads floats as floats and ints as ints (PHP lists become JSON arrays and PHP
//            associative arrays JSON objects, which is exactly how sv_widgets.signing sees
//            Python lists and dicts);
//   key      the private key;
//   json     json_encode($payload) (the bytes that are base64-encoded);
//   b64      rtrim(base64_encode(json), '=');
//   token    b64 . '.' . hash_hmac(algo, b64, key), the algo being $payload['algo'].
// The data is deterministic (mt_srand with a fixed seed; MT is stable since PHP 7.1), so
// re-running the script reproduces the file byte for byte.

declare(strict_types=1);
mt_srand(20240229, MT_RAND_MT19937);

const ALGOS = ['sha256', 'sha224', 'sha384', 'sha512', 'sha3-224', 'sha3-256', 'sha3-384',
               'sha3-512', 'md5', 'sha1'];

function pick(array $xs) { return $xs[mt_rand(0, count($xs) - 1)]; }

// UTF-8 encoding of a code point (mbstring is not always installed).
function utf8_chr(int $cp): string {
    if ($cp < 0x80) { return chr($cp); }
    if ($cp < 0x800) { return chr(0xc0 | ($cp >> 6)) . chr(0x80 | ($cp & 0x3f)); }
    if ($cp < 0x10000) {
        return chr(0xe0 | ($cp >> 12)) . chr(0x80 | (($cp >> 6) & 0x3f)) . chr(0x80 | ($cp & 0x3f));
    }
    return chr(0xf0 | ($cp >> 18)) . chr(0x80 | (($cp >> 12) & 0x3f))
        . chr(0x80 | (($cp >> 6) & 0x3f)) . chr(0x80 | ($cp & 0x3f));
}

function rand_char(): string {
    switch (mt_rand(0, 9)) {
        case 0: return utf8_chr(mt_rand(0x00, 0x1f));             // controls
        case 1: return pick(["\x7f", '/', '\\', '"', "'", '+', '=', '.', '&', '%', ' ']);
        case 2: return utf8_chr(mt_rand(0x80, 0x7ff));             // 2-byte
        case 3: return utf8_chr(pick([mt_rand(0x800, 0xd7ff), mt_rand(0xe000, 0xfffd)]));
        case 4: return utf8_chr(mt_rand(0x10000, 0x10ffff));       // astral
        case 5: return pick(["\u{2028}", "\u{2029}", "\u{feff}", "\u{1f600}", "é", "ß", "中"]);
        default: return chr(mt_rand(0x20, 0x7e));
    }
}

function rand_string(int $max = 12): string {
    $s = '';
    for ($i = 0, $n = mt_rand(0, $max); $i < $n; $i++) { $s .= rand_char(); }
    return $s;
}

function rand_float(): float {
    switch (mt_rand(0, 3)) {
        case 0: return pick([0.1, 1e-5, 1e17, -0.0, 0.0, 2.0, 1e15, 1e16, 1e-4, 1e-7, 1.5e300,
                             -2.5, 0.30000000000000004, 123456789012345678.0, 1e22, 100.0,
                             PHP_FLOAT_MAX, PHP_FLOAT_MIN, 5e-324, PHP_FLOAT_EPSILON, 1/3,
                             -1e-10, 9007199254740993.0, 4.35, 0.5, 1e21, 99999999999999999.0]);
        case 1: return mt_rand() / mt_getrandmax() * (10 ** mt_rand(-8, 20)) * pick([1, -1]);
        case 2: return (float) mt_rand(-100000, 100000);
        default: return mt_rand(-1000000, 1000000) / (10 ** mt_rand(0, 6));
    }
}

function rand_int(): int {
    return pick([0, 1, -1, PHP_INT_MAX, PHP_INT_MIN, PHP_INT_MAX - 1, PHP_INT_MIN + 1,
                 2 ** 31, -(2 ** 31), 2 ** 53 + 1, 1700000000, mt_rand(), -mt_rand(),
                 mt_rand(0, 9)]);
}

function rand_key(): string {
    return pick(['0', '1', '2', '5', '-1', '-0', '01', '1.5', ' 1', '', 'a/b', 'é',
                 '9223372036854775808', rand_string(6), rand_string(3), 'code', 'ref']);
}

function rand_value(int $depth) {
    $kind = mt_rand(0, $depth > 2 ? 5 : 8);
    switch ($kind) {
        case 0: case 1: return rand_string();
        case 2: return rand_int();
        case 3: return rand_float();
        case 4: return pick([true, false, null]);
        case 5: return pick(['', [], '0', "a/b\\c\"d"]);
        case 6: // list
            $xs = [];
            for ($i = 0, $n = mt_rand(0, 4); $i < $n; $i++) { $xs[] = rand_value($depth + 1); }
            return $xs;
        default: // associative array (numeric-string keys turn into PHP int keys)
            $m = [];
            for ($i = 0, $n = mt_rand(0, 4); $i < $n; $i++) { $m[rand_key()] = rand_value($depth + 1); }
            return $m;
    }
}

function rand_code(): string {
    $alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    $s = '';
    for ($i = 0; $i < 6; $i++) { $s .= $alphabet[mt_rand(0, 61)]; }
    return (string) mt_rand(1400000000, 1800000000) . '-' . $s;
}

function api_payload(string $algo): array {
    $p = ['algo' => $algo, 'public_key' => rand_string(8) ?: 'pk'];
    [$m, $a] = pick([['upload', 'initiate'], ['upload', 'convert'], ['file', 'get'],
                     ['file', 'update'], ['files', 'get'], ['files', 'delete']]);
    $p['method'] = $m;
    $p['action'] = $a;
    $p['expires'] = mt_rand(1600000000, 2000000000);
    if ($a === 'convert' || $m === 'file') { $p['file_code'] = rand_code(); }
    if ($a === 'convert') {
        $p['convert_sd_only'] = (bool) mt_rand(0, 1);
        $p['convert_mp4_only'] = (bool) mt_rand(0, 1);
    }
    if ($a === 'update') { $p['thumbnail'] = rand_code() . '_720_0' . mt_rand(1, 5) . '.jpg'; }
    if ($a === 'delete') {
        $p['codes'] = [];
        for ($i = 0, $n = mt_rand(1, 40); $i < $n; $i++) { $p['codes'][] = rand_code(); }
    }
    return $p;
}

function fuzz_payload(string $algo): array {
    $p = ['algo' => $algo];
    for ($i = 0, $n = mt_rand(1, 8); $i < $n; $i++) { $p[rand_key() . 'k' . $i] = rand_value(0); }
    return $p;
}

function vector(array $payload, string $key, string $note): array {
    $algo = $payload['algo'] ?? 'sha256';
    $json = json_encode($payload);
    if ($json === false) { fwrite(STDERR, json_last_error_msg() . "\n"); exit(1); }
    $b64 = rtrim(base64_encode($json), '=');
    return [
        'note' => $note,
        'payload' => json_encode($payload, JSON_PRESERVE_ZERO_FRACTION),
        'key' => $key,
        'json' => $json,
        'b64' => $b64,
        'token' => $b64 . '.' . hash_hmac($algo, $b64, $key),
    ];
}

$vectors = [];
// the golden vector of docs/wire-contract.md (no algo key: sha256 by default).
$vectors[] = vector(['public_key' => 'pk', 'action' => 'upload', 'expires' => 1700000000,
                     'codes' => ['a/b'], 't' => 'é', 'c' => true, 'f' => 2.0], 'secret', 'golden');
// Hand-picked traps, one per vector so a failure names it.
$traps = ['slash' => 'a/b/c', 'backslash' => 'a\\b', 'quote' => 'say "hi"', 'del' => "\x7f",
          'controls' => "\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1b\x1f", 'astral' => "\u{1f600}\u{10ffff}",
          'bom' => "\u{feff}", 'line_sep' => "\u{2028}\u{2029}", 'plus' => '+/=',
          'zero_fraction' => 2.0, 'neg_zero' => -0.0, 'tenth' => 0.1, 'small' => 1e-5,
          'big' => 1e17, 'int_max' => PHP_INT_MAX, 'int_min' => PHP_INT_MIN,
          'empty_list' => [], 'nested' => ['a' => [1, [2, ['b' => null]]], 'c' => []],
          'numeric_keys' => ['0' => 'x', '1' => 'y'], 'sparse_keys' => ['1' => 'x', '0' => 'y'],
          'string_keys' => ['-0' => 1, '01' => 2, '1.5' => 3], 'bools' => [true, false, null]];
foreach ($traps as $name => $value) {
    $vectors[] = vector(['algo' => 'sha256', 'public_key' => 'pk', 'expires' => 1700000000,
                         'v' => $value], 'secret', "trap:$name");
}
foreach (ALGOS as $algo) {
    $vectors[] = vector(['algo' => $algo, 'public_key' => 'pk', 'method' => 'upload',
                         'action' => 'initiate', 'expires' => 1700003600], 'secret', "algo:$algo");
}
$keys = ['secret', 'k', str_repeat('long-key-', 20), "clé-é-\u{1f511}", 'a+b/c=', '0'];
for ($i = 0; $i < 240; $i++) {
    $algo = pick(ALGOS);
    $vectors[] = vector(api_payload($algo), pick($keys), "api:$i");
}
for ($i = 0; $i < 240; $i++) {
    $algo = pick(ALGOS);
    $vectors[] = vector(fuzz_payload($algo), pick($keys), "fuzz:$i");
}

echo json_encode(['php_version' => PHP_VERSION, 'vectors' => $vectors],
                 JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
