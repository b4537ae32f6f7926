"""wrk's Lua scripts for each scenario of ``bench/run.py``: ours, and the minimal handlers' (``bench/ceiling.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def lua_table(rows: list[list[str]]) -> str:
    return "{" + ",".join("{" + ",".join(json.dumps(v) for v in row) + "}" for row in rows) + "}"


# A self-initiated course for posts[i] = {token, provider, content, learner, tenant}, with a fresh external id.
_NEW_ACTIVITY = """new_activity = function(p)
  counter = counter + 1
  return '{"@odata.type":"#microsoft.graph.learningSelfInitiatedCourse","learnerUserId":"' .. p[4] ..
    '","learningContentId":"' .. p[3] .. '","status":"inProgress","externalcourseActivityId":"bench-' ..
    os.time() .. '-' .. math.random(1, 1000000000) .. '-' .. counter .. '"}'
end
"""


def write_scripts(sample: dict[str, Any], folder: Path) -> dict[str, Path]:
    """One wrk script per scenario, each picking a random tenant's ids and token per request."""
    acts, learners, posts, batches = [], [], [], []
    learner_ids: list[list[str]] = []
    for tenant in sample["tenants"]:
        token = tenant["appToken"]
        acts += [[token, a, tenant["tenantId"]] for a in tenant["activities"][:2000]]
        learners += [[t, uid] for uid, t in tenant["learnerTokens"]]
        learner_ids += [[tenant["tenantId"], uid] for uid, _ in tenant["learnerTokens"]]
        for provider, contents in tenant["contents"].items():
            posts += [
                [token, provider, content, learner, tenant["tenantId"]]
                for content, learner in zip(contents[:50], tenant["learners"][:50], strict=False)
            ]
        batches.append([token, *tenant["activities"][:400]])
    common = "math.randomseed(os.time())\ncounter = 0\n" + _NEW_ACTIVITY
    scripts = {
        "get": f"""{common}acts = {lua_table(acts)}
request = function()
  local a = acts[math.random(#acts)]
  return wrk.format("GET", "/v1.0/employeeExperience/learningCourseActivities/" .. a[2], {{["Authorization"] = "Bearer " .. a[1]}})
end""",
        "patch": f"""{common}acts = {lua_table(acts)}
request = function()
  local a = acts[math.random(#acts)]
  local body = '{{"completionPercentage":' .. math.random(0, 100) .. '}}'
  return wrk.format("PATCH", "/v1.0/employeeExperience/learningCourseActivities/" .. a[2],
    {{["Authorization"] = "Bearer " .. a[1], ["Content-Type"] = "application/json"}}, body)
end""",
        "post": f"""{common}posts = {lua_table(posts)}
request = function()
  local p = posts[math.random(#posts)]
  local body = new_activity(p)
  return wrk.format("POST", "/v1.0/employeeExperience/learningProviders/" .. p[2] .. "/learningCourseActivities",
    {{["Authorization"] = "Bearer " .. p[1], ["Content-Type"] = "application/json"}}, body)
end""",
        "list": f"""{common}learners = {lua_table(learners)}
request = function()
  local l = learners[math.random(#learners)]
  return wrk.format("GET", "/v1.0/users/" .. l[2] .. "/employeeExperience/learningCourseActivities?$filter=status%20ne%20%27completed%27&$top=50",
    {{["Authorization"] = "Bearer " .. l[1]}})
end""",
        "batch": f"""{common}batches = {lua_table(batches)}
request = function()
  local b = batches[math.random(#batches)]
  local items = {{}}
  for i = 1, 20 do
    local id = b[math.random(2, #b)]
    items[i] = '{{"id":"' .. i .. '","method":"PATCH","url":"/employeeExperience/learningCourseActivities/' .. id ..
      '","headers":{{"Content-Type":"application/json"}},"body":{{"completionPercentage":' .. math.random(0, 100) .. '}}}}'
  end
  return wrk.format("POST", "/v1.0/$batch", {{["Authorization"] = "Bearer " .. b[1], ["Content-Type"] = "application/json"}},
    '{{"requests":[' .. table.concat(items, ",") .. ']}}')
end""",
        "token": f"""{common}clients = {lua_table([[t["tenantId"], t["clientId"], t["clientSecret"]] for t in sample["tenants"]])}
request = function()
  local c = clients[math.random(#clients)]
  return wrk.format("POST", "/" .. c[1] .. "/oauth2/v2.0/token", {{["Content-Type"] = "application/x-www-form-urlencoded"}},
    "grant_type=client_credentials&client_id=" .. c[2] .. "&client_secret=" .. c[3] .. "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")
end""",
        "hello": "request = function() return wrk.format('GET', '/hello') end",
        "min_get": f"""{common}acts = {lua_table(acts)}
request = function()
  local a = acts[math.random(#acts)]
  return wrk.format("GET", "/min/" .. a[3] .. "/activities/" .. a[2])
end""",
        "min_post": f"""{common}posts = {lua_table(posts)}
request = function()
  local p = posts[math.random(#posts)]
  local body = new_activity(p)
  return wrk.format("POST", "/min/" .. p[5] .. "/activities/" .. p[2], {{["Content-Type"] = "application/json"}}, body)
end""",
        "min_list": f"""{common}learners = {lua_table(learner_ids)}
request = function()
  local l = learners[math.random(#learners)]
  return wrk.format("GET", "/min/" .. l[1] .. "/learners/" .. l[2] .. "/page")
end""",
        "min_token": f"""{common}clients = {lua_table([[t["tenantId"], t["clientId"], t["clientSecret"]] for t in sample["tenants"]])}
request = function()
  local c = clients[math.random(#clients)]
  return wrk.format("POST", "/min/" .. c[1] .. "/token/x", {{["Content-Type"] = "application/x-www-form-urlencoded"}},
    "grant_type=client_credentials&client_id=" .. c[2] .. "&client_secret=" .. c[3] .. "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")
end""",
        "min_patch": f"""{common}acts = {lua_table(acts)}
request = function()
  local a = acts[math.random(#acts)]
  return wrk.format("PATCH", "/min/" .. a[3] .. "/activities/" .. a[2], {{["Content-Type"] = "application/json"}},
    '{{"status":"inProgress","completionPercentage":' .. math.random(0, 100) .. '}}')
end""",
    }
    paths = {}
    for name, text in scripts.items():
        path = folder / f"{name}.lua"
        path.write_text(text)
        paths[name] = path
    return paths
