from tests.workflow_helpers import new_case, walk_to
def test_smoke(client, auth, session, people):
    case = new_case(session, people["requester"])
    walk_to(session, case, "planning_as_is", people, satisfy=False)
    auth.login(people["requester"])
    r = client.get(f"/cases/{case.id}/plan")
    print(r.status_code)
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[-3000:]
    open("/tmp/plan.html","w").write(html)
    r = client.get(f"/cases/{case.id}/plan/reasons"); print(r.json)
