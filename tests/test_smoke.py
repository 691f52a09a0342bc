async def test_me(api):
    user, token = await api.user(name="Ana")
    data = await api.data("{ me { id name subscriptionTier role } }", token=token)
    assert data["me"] == {"id": user["_id"], "name": "Ana", "subscriptionTier": "FREE", "role": "USER"}
