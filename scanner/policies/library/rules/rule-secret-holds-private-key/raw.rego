package armo_builtins

# Key names that conventionally hold a private key.
private_key_name := `(?i)(^id_(rsa|dsa|ecdsa|ed25519)$|private[-_.]?key|\.(pem|key|p12|pfx)$)`

# An Opaque Secret (the default type) with a key named like a private key, or whose value is a
# PEM private key, fails once per key: typed Secrets (kubernetes.io/tls, ssh-auth) are where
# keys belong, with their shape checked by the API server.
deny contains msga if {
	secret := input[_]
	secret.kind == "Secret"
	object.get(secret, "type", "Opaque") == "Opaque"
	some field in ["data", "stringData"]
	some key, value in object.get(secret, field, {})
	holds_private_key(field, key, value)
	msga := {
		"alertMessage": sprintf("Secret: %s/%s: key %s holds a private key in an Opaque Secret", [object.get(secret.metadata, "namespace", "default"), secret.metadata.name, key]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"reviewPaths": [sprintf("%s[%s]", [field, key])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [secret]},
	}
}

holds_private_key(_, key, _) if regex.match(private_key_name, key)

holds_private_key("data", _, value) if {
	base64.is_valid(value)
	pem_private_key(base64.decode(value))
}

holds_private_key("stringData", _, value) if pem_private_key(value)

pem_private_key(text) if {
	contains(text, "-----BEGIN ")
	contains(text, "PRIVATE KEY-----")
}
