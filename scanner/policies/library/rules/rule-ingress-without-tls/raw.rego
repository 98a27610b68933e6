package armo_builtins

# An Ingress with no TLS section fails once; an Ingress with TLS fails once per rule host that
# no TLS entry covers (exactly, or by a "*." wildcard one label deep; an entry without hosts
# covers every host).
deny contains msga if {
	ingress := input[_]
	ingress.kind == "Ingress"
	count(object.get(ingress.spec, "tls", [])) == 0
	msga := {
		"alertMessage": sprintf("Ingress: %s/%s: serves plain HTTP, no TLS section", [object.get(ingress.metadata, "namespace", "default"), ingress.metadata.name]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": [],
		"fixPaths": [{"path": "spec.tls[0].secretName", "value": "YOUR_TLS_SECRET"}],
		"alertObject": {"k8sApiObjects": [ingress]},
	}
}

deny contains msga if {
	ingress := input[_]
	ingress.kind == "Ingress"
	tls := object.get(ingress.spec, "tls", [])
	count(tls) > 0
	some i, rule in ingress.spec.rules
	not covered(tls, rule)
	msga := {
		"alertMessage": sprintf("Ingress: %s/%s: host %s is not covered by TLS", [object.get(ingress.metadata, "namespace", "default"), ingress.metadata.name, object.get(rule, "host", "*")]),
		"packagename": "armo_builtins",
		"alertScore": 5,
		"failedPaths": [sprintf("spec.rules[%d].host", [i])],
		"fixPaths": [],
		"alertObject": {"k8sApiObjects": [ingress]},
	}
}

covered(tls, _) if {
	some entry in tls
	count(object.get(entry, "hosts", [])) == 0
}

covered(tls, rule) if {
	some entry in tls
	some host in entry.hosts
	host_matches(host, rule.host)
}

host_matches(pattern, host) if pattern == host

host_matches(pattern, host) if {
	startswith(pattern, "*.")
	contains(host, ".")
	substring(host, indexof(host, "."), -1) == substring(pattern, 1, -1)
}
