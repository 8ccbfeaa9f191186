<?php
// Sign payloads the service's way, for tests/test_signing.py's live check.
// stdin: JSON list of {"payload": "<JSON object>", "key": "<private key>"};
// stdout: JSON list of tokens (base64(json_encode(payload)) without '=', '.', hash_hmac).
declare(strict_types=1);

$jobs = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$tokens = [];
foreach ($jobs as $job) {
    $payload = json_decode($job['payload'], true, 512, JSON_THROW_ON_ERROR);
    $b64 = trim(base64_encode(json_encode($payload, JSON_THROW_ON_ERROR)), '=');
    $tokens[] = $b64 . '.' . hash_hmac($payload['algo'] ?? 'sha256', $b64, $job['key']);
}
echo json_encode($tokens), "\n";
