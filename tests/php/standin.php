<?php
// An independent stand-in of the SpareVideos service, written the way a PHP service reads
// requests: $_REQUEST, base64_decode, json_decode, hash_hmac, hash_equals, $_FILES.
// It shares no code with sv_widgets: it is the second opinion tests/client/test_php_compat.py asks.
//
//   SV_STANDIN_DATA=/tmp/dir PHP_CLI_SERVER_WORKERS=8 php -S 127.0.0.1:PORT standin.php
//
// Environment: SV_STANDIN_DATA (state directory, required), SV_STANDIN_PUBLIC /
// SV_STANDIN_PRIVATE (the one account), SV_STANDIN_PAGE_SIZE (default 2000),
// SV_STANDIN_LIST_DELAY_MS (latency of /me/files, for the paging benchmark).
// Test-only routes under /_standin/: log (every API request as verified), faults (POST
// JSON {"path": [{"status": 503, "retry_after": "1", "body": "...", "sleep": 0}]}),
// files/{code} (what was stored), sources/{name} (served slowly for remote uploads).

declare(strict_types=1);

$DATA = getenv('SV_STANDIN_DATA') ?: exit("SV_STANDIN_DATA is not set\n");
$PUBLIC = getenv('SV_STANDIN_PUBLIC') ?: 'pk-standin';
$PRIVATE = getenv('SV_STANDIN_PRIVATE') ?: 'sk-standin';
$PAGE_SIZE = (int) (getenv('SV_STANDIN_PAGE_SIZE') ?: 2000);
$BASE = 'http://' . $_SERVER['HTTP_HOST'];
$PATH = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$VERB = $_SERVER['REQUEST_METHOD'];
const HEIGHTS = [720, 480, 360];

function reply(array $body, int $http = 200): never {
    http_response_code($http);
    header('Content-Type: application/json');
    echo json_encode($body);
    exit;
}

function fail(int $code, string $message, int $http = 200): never {
    log_line(['error' => $code, 'message' => $message]);
    reply(['status' => 'error', 'error' => $code, 'message' => $message], $http);
}

function log_line(array $extra): void {
    global $DATA, $VERB, $PATH, $SIGNED;
    $line = ['verb' => $VERB, 'path' => $PATH, 'query' => array_keys($_GET),
             'post' => array_keys($_POST), '_method' => $_POST['_method'] ?? null,
             'signed' => $SIGNED ?? null, 'time' => time()] + $extra;
    file_put_contents("$DATA/log.jsonl", json_encode($line) . "\n", FILE_APPEND | LOCK_EX);
}

// Read-modify-write of the JSON state under an exclusive lock (the server runs workers).
function with_state(callable $fn) {
    global $DATA;
    $fh = fopen("$DATA/state.json", 'c+');
    flock($fh, LOCK_EX);
    $raw = stream_get_contents($fh);
    $state = $raw ? json_decode($raw, true) : ['files' => [], 'tickets' => [], 'faults' => []];
    $result = $fn($state);
    ftruncate($fh, 0);
    rewind($fh);
    fwrite($fh, json_encode($state));
    fflush($fh);
    flock($fh, LOCK_UN);
    fclose($fh);
    return $result;
}

// The service's recipe, read back: B64 '.' HEX, HMAC over the B64 string.
function verify_token(string $method, string $action): array {
    global $PUBLIC, $PRIVATE, $SIGNED;
    $token = $_REQUEST['token'] ?? '';
    if (!is_string($token) || $token === '') { fail(401, 'token missing', 401); }
    $parts = explode('.', $token);
    if (count($parts) !== 2) { fail(401, 'malformed token', 401); }
    [$b64, $sig] = $parts;
    $array = json_decode((string) base64_decode($b64), true);
    if (!is_array($array)) { fail(401, 'token payload is not JSON (was + sent as %2B?)', 401); }
    $algo = $array['algo'] ?? 'sha256';
    if (!is_string($algo) || !in_array($algo, hash_algos(), true)) { fail(401, 'bad algo', 401); }
    if (($array['public_key'] ?? null) !== $PUBLIC) { fail(401, 'unknown public key', 401); }
    if (!hash_equals(hash_hmac($algo, $b64, $PRIVATE), $sig)) { fail(401, 'bad signature', 401); }
    if (!is_int($array['expires'] ?? null) || $array['expires'] < time()) {
        fail(401, 'token expired', 401);
    }
    if (($array['method'] ?? null) !== $method || ($array['action'] ?? null) !== $action) {
        fail(403, "token is not for $method/$action", 403);
    }
    $SIGNED = $array;
    return $array;
}

function file_code(array $signed): string {
    $code = $signed['file_code'] ?? null;
    if (!is_string($code) || $code === '') { fail(1000, 'file_code missing'); }
    return $code;
}

function inject_fault(): void {
    global $PATH;
    $fault = with_state(function (array &$s) use ($PATH) {
        return isset($s['faults'][$PATH]) ? array_shift($s['faults'][$PATH]) : null;
    });
    if ($fault === null) { return; }
    log_line(['fault' => $fault]);
    if (!empty($fault['sleep'])) { usleep((int) ($fault['sleep'] * 1e6)); }
    if (isset($fault['retry_after'])) { header('Retry-After: ' . $fault['retry_after']); }
    http_response_code($fault['status'] ?? 503);
    echo $fault['body'] ?? '<html>Service Unavailable</html>';
    exit;
}

function thumbs(array $file): array {
    $list = [];
    foreach ($file['heights'] as $h) {
        for ($n = 5; $n >= 1; $n--) {
            $key = sprintf('%d.%02d', $h, $n);
            $name = sprintf('%s_%d_%02d.jpg', $file['code'], $h, $n);
            $list[$key . ($name === $file['selected'] ? '.selected' : '')] = $name;
        }
    }
    return $list;
}

function jpeg(string $comment): never {
    // SOI, a COM segment naming what was asked (tests read it back), EOI.
    header('Content-Type: image/jpeg');
    echo "\xFF\xD8\xFF\xFE" . pack('n', strlen($comment) + 2) . $comment . "\xFF\xD9";
    exit;
}

function get_file(string $code): array {
    $file = with_state(fn (array &$s) => $s['files'][$code] ?? null);
    if ($file === null) { fail(404, "file $code not found", 404); }
    return $file;
}

function store_upload(array $ticket, string $src, string $name, bool $moveUploaded): string {
    global $DATA;
    $code = time() . '-' . substr(str_shuffle('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'), 0, 6);
    $dest = "$DATA/files/$code";
    @mkdir("$DATA/files");
    $ok = $moveUploaded ? move_uploaded_file($src, $dest) : rename($src, $dest);
    if (!$ok) { fail(10001, 'could not store the file'); }
    $file = ['code' => $code, 'name' => $name, 'size' => filesize($dest),
             'sha256' => hash_file('sha256', $dest), 'converted' => false,
             'extension' => strtolower(pathinfo($name, PATHINFO_EXTENSION)) ?: 'bin',
             'heights' => HEIGHTS, 'selected' => null, 'flags' => null];
    with_state(function (array &$s) use ($file) { $s['files'][$file['code']] = $file; });
    return $code;
}

// ------------------------------------------------------------------------ test routes
if (str_starts_with($PATH, '/_standin/')) {
    $what = substr($PATH, strlen('/_standin/'));
    if ($what === 'log') {
        header('Content-Type: text/plain');
        readfile("$DATA/log.jsonl");
        exit;
    }
    if ($what === 'faults' && $VERB === 'POST') {
        $faults = json_decode(file_get_contents('php://input'), true);
        with_state(function (array &$s) use ($faults) { $s['faults'] = $faults; });
        reply(['status' => 'success']);
    }
    if (str_starts_with($what, 'files/')) {
        reply(with_state(fn (array &$s) => $s['files'][substr($what, 6)] ?? []));
    }
    if (str_starts_with($what, 'sources/')) {   // served in slow chunks, with a length
        $path = "$DATA/sources/" . basename(substr($what, 8));
        $size = filesize($path);
        header('Content-Length: ' . $size);
        $fh = fopen($path, 'rb');
        // ?gate=1: stop halfway until the test creates "NAME.open" (it does once it has seen
        // the half-way progress), so intermediate progress is certain, not a matter of timing
        // (at most 5 minutes; the test's server lets a fetch wait that long)
        $gate = isset($_GET['gate']) ? "$path.open" : null;
        $sent = 0;
        while (!feof($fh)) {
            $chunk = fread($fh, 65536);
            echo $chunk; flush(); usleep(40000);
            $sent += strlen($chunk);
            for ($w = 0; $gate !== null && $sent * 2 >= $size && !file_exists($gate) && $w < 30000; $w++) {
                usleep(10000);
            }
        }
        exit;
    }
    reply(['status' => 'error', 'error' => 404, 'message' => 'no such test route'], 404);
}

inject_fault();

// ------------------------------------------------------------------------ upload server
if ($PATH === '/fileservers/upload/progress') {
    $ref = $_GET['ref'] ?? '';
    log_line([]);
    header('Content-Type: text/plain');
    $p = @file_get_contents("$DATA/progress-" . md5((string) $ref));
    echo $p === false ? '0' : $p;
    exit;
}
if ($PATH === '/fileservers/upload') {
    if ($VERB !== 'POST') { fail(404, 'POST only', 404); }
    $ref = $_GET['ref'] ?? null;
    $token = $_GET['token'] ?? null;
    if ($ref !== ($_POST['ref'] ?? null) || $token !== ($_POST['token'] ?? null)) {
        fail(10002, 'token and ref must be in the URL and in the form, identical');
    }
    $ticket = with_state(function (array &$s) use ($ref) {
        $t = $s['tickets'][$ref] ?? null;
        unset($s['tickets'][$ref]);   // one upload per ticket
        return $t;
    });
    if ($ticket === null || !hash_equals($ticket['token'], (string) $token)) {
        fail(10000, 'unknown or spent upload ticket');
    }
    if (isset($_FILES['file'])) {
        $f = $_FILES['file'];
        if ($f['error'] !== UPLOAD_ERR_OK) { fail(10001, 'upload error ' . $f['error']); }
        $code = store_upload($ticket, $f['tmp_name'], $f['name'], true);
        log_line(['file' => ['name' => $f['name'], 'type' => $f['type'], 'size' => $f['size']]]);
        reply(['status' => 'success', 'code' => $code]);
    }
    $url = $_POST['remote_file'] ?? null;
    if (!is_string($url) || !preg_match('#^https?://#', $url)) { fail(10002, 'no file'); }
    $in = @fopen($url, 'rb');
    if ($in === false) { fail(10001, 'could not fetch the remote file'); }
    $total = 0;
    foreach ($http_response_header ?? [] as $h) {
        if (stripos($h, 'content-length:') === 0) { $total = (int) trim(substr($h, 15)); }
    }
    $tmp = tempnam($DATA, 'remote');
    $out = fopen($tmp, 'wb');
    $done = 0;
    $progress = "$DATA/progress-" . md5($ref);
    while (!feof($in)) {
        $chunk = fread($in, 65536);
        if ($chunk === false) { fail(10001, 'the remote file stopped sending'); }
        $done += fwrite($out, $chunk);
        if ($total > 0) { file_put_contents($progress, (string) floor(100 * $done / $total)); }
    }
    fclose($in);
    fclose($out);
    $code = store_upload($ticket, $tmp, basename(parse_url($url, PHP_URL_PATH)), false);
    log_line(['remote_file' => $url]);
    reply(['status' => 'success', 'code' => $code]);
}

// ------------------------------------------------------------------------ thumbnails
if (preg_match('#^/thumbnail/([^/]+)/(.+)$#', $PATH, $m)) {
    log_line([]);
    $file = get_file(rawurldecode($m[1]));
    if (!$file['converted']) { fail(404, 'no thumbnails before conversion', 404); }
    $list = thumbs($file);
    $selected = $file['selected'];
    $rest = $m[2];
    if ($rest === 'json/list') { reply($list); }
    if (preg_match('#^exact/(.+)$#', $rest, $x) && in_array($x[1], $list, true)) {
        jpeg("exact $x[1]");
    }
    if (preg_match('#^(\d+)/(.+)$#', $rest, $x)) {
        $name = $x[2] === 'default.jpg' ? $selected : $x[2];
        if (in_array($name, $list, true)) { jpeg('size ' . max(260, (int) $x[1]) . " $name"); }
    }
    fail(404, 'no such thumbnail', 404);
}
if (preg_match('#^/media/([^/]+)/(.+)$#', $PATH, $m)) {
    log_line([]);
    get_file($m[1]);
    header('Content-Type: application/octet-stream');
    echo "media:$m[1]/$m[2]";
    exit;
}

// ------------------------------------------------------------------------ the API
$route = "$VERB " . preg_replace('#^/api/v1#', '', $PATH);
$override = $VERB === 'POST' ? ($_POST['_method'] ?? null) : null;
if ($route === 'POST /me/file' && in_array($override, ['PUT', 'UPDATE'], true)) { $route = 'PUT /me/file'; }
if ($route === 'POST /me/files' && $override === 'DELETE') { $route = 'DELETE /me/files'; }

switch ($route) {
    case 'GET /upload/initiate':
        verify_token('upload', 'initiate');
        $ref = bin2hex(random_bytes(16));
        // The upload token is a service-signed array, like the real one (plus signs likely).
        $b64 = rtrim(base64_encode(json_encode(['ref' => $ref, 'pad' => '>>>???>>>', 'expires' => time() + 3600])), '=');
        $token = $b64 . '.' . hash_hmac('sha256', $b64, $PRIVATE . 'upload');
        with_state(function (array &$s) use ($ref, $token) { $s['tickets'][$ref] = ['token' => $token]; });
        log_line([]);
        reply(['status' => 'success', 'server' => "$BASE/fileservers/upload", 'ref' => $ref, 'token' => $token]);
    case 'GET /upload/conversion/initiate':
        $signed = verify_token('upload', 'convert');
        $code = file_code($signed);
        foreach (['convert_sd_only', 'convert_mp4_only'] as $flag) {
            if (array_key_exists($flag, $signed) && !is_bool($signed[$flag])) {
                fail(1000, "$flag must be a JSON boolean");
            }
        }
        get_file($code);
        $again = with_state(function (array &$s) use ($code, $signed) {
            $f = &$s['files'][$code];
            if ($f['converted']) { return true; }
            $f['converted'] = true;
            $f['flags'] = [$signed['convert_sd_only'] ?? false, $signed['convert_mp4_only'] ?? false];
            if ($f['flags'][0]) { $f['heights'] = [480, 360]; }
            $f['selected'] = sprintf('%s_%d_03.jpg', $code, $f['heights'][0]);
            return false;
        });
        if ($again) { fail(100031, 'File already converted'); }
        log_line([]);
        reply(['status' => 'success', 'code' => $code]);
    case 'GET /me/file':
        $file = get_file(file_code(verify_token('file', 'get')));
        if (!$file['converted']) { fail(100030, 'File not converted'); }
        $media = "$BASE/media/{$file['code']}";
        $streams = ['mp4' => [], 'webm' => []];
        foreach (array_reverse($file['heights']) as $h) {
            $streams['mp4'][] = ['file' => "$media/$h.mp4", 'label' => (string) $h];
            $streams['webm'][] = ['file' => "$media/$h.webm", 'label' => (string) $h];
        }
        $streams['hls'] = ['file' => "$media/hls/master.m3u8"];
        $streams['mpd'] = ['file' => "$media/dash/manifest.mpd"];
        log_line([]);
        reply(['status' => 'success', 'extension' => $file['extension'], 'playtime' => 15.5,
               'thumbnail' => "$BASE/thumbnail/{$file['code']}/exact/{$file['selected']}",
               'streams' => $streams, 'size' => $file['size']]);
    case 'PUT /me/file':
        $signed = verify_token('file', 'update');
        $file = get_file(file_code($signed));
        $name = $signed['thumbnail'] ?? null;
        if (!$file['converted'] || !in_array($name, thumbs($file), true)) {
            fail(404, 'no such thumbnail', 404);
        }
        with_state(function (array &$s) use ($file, $name) { $s['files'][$file['code']]['selected'] = $name; });
        log_line([]);
        reply(['status' => 'success']);
    case 'GET /me/files':
        verify_token('files', 'get');
        $delay = (int) (getenv('SV_STANDIN_LIST_DELAY_MS') ?: 0);
        if ($delay > 0) { usleep($delay * 1000); }
        $codes = array_keys(with_state(fn (array &$s) => $s['files']));
        $page = max(1, (int) ($_GET['page'] ?? 1));
        $last = max(1, (int) ceil(count($codes) / $PAGE_SIZE));
        log_line(['page' => $page]);
        reply(['status' => 'success', 'currentPage' => $page, 'lastPage' => $last,
               'nextPageUrl' => $page < $last ? "$BASE/api/v1/me/files?page=" . ($page + 1) : null,
               'codes' => array_slice($codes, ($page - 1) * $PAGE_SIZE, $PAGE_SIZE)]);
    case 'DELETE /me/files':
        $codes = verify_token('files', 'delete')['codes'] ?? null;
        if (!is_array($codes) || !$codes || !array_is_list($codes)) { fail(1000, 'codes must be a non-empty list'); }
        $missing = with_state(function (array &$s) use ($codes) {
            $missing = array_values(array_filter($codes, fn ($c) => !is_string($c) || !isset($s['files'][$c])));
            if (!$missing) { foreach ($codes as $c) { unset($s['files'][$c]); } }
            return $missing;
        });
        if ($missing) { fail(404, 'not found: ' . implode(', ', $missing), 404); }
        log_line([]);
        reply(['status' => 'success']);
}
fail(404, "no route $route", 404);
