"""The many-hosts bench reaches its containers as the demo reaches its one and reports per host."""

from project import load

many_hosts = load("bench/many_hosts.py")


def test_the_inventory_reaches_each_container_through_docker_with_pipelining():
    inventory = many_hosts.inventory(["pyweb-many-1", "pyweb-many-2"])
    hosts = inventory["all"]["children"]["web"]["hosts"]
    assert sorted(hosts) == ["pyweb-many-1", "pyweb-many-2"]
    assert hosts["pyweb-many-2"]["ansible_host"] == "pyweb-many-2"
    assert hosts["pyweb-many-2"]["ansible_connection"] == "community.docker.docker"
    assert hosts["pyweb-many-2"]["ansible_pipelining"] is True


def test_the_table_says_whether_each_goal_is_met():
    run = {"seconds": 9.5, "controller_cpu": 8.0, "changed": 0, "hosts_changed": 0}
    results = {
        "fresh_all": many_hosts.per_host(dict(run, seconds=120.0, controller_cpu=60.0), 10),
        "sizes": {"1 hosts, forks=5": {"hosts": 1, "forks": 5, "noop": many_hosts.per_host(run, 1),
                                       "new_code": many_hosts.per_host(run, 1)}},
        "goals": {"no-op 10 hosts / 1 host": {"ratio": 2.4, "goal": 2.0, "met": False},
                  "controller CPU per host per no-op (s)": {"worst": 1.2, "goal": 2.0, "met": True}},
    }
    text = many_hosts.table(results)
    assert "(6.0 s of controller CPU per host)" in text
    assert "| 1 | 5 | 9.5 | 8.0 | 9.5 | 8.0 |" in text
    assert "no-op 10 hosts / 1 host: 2.4 (goal ≤ 2.0): not met." in text
    assert "controller CPU per host per no-op (s): 1.2 (goal ≤ 2.0): met." in text
