"""Friends and walls between three real browsers: requests, presence, posts, comments, likes, deletes.

alice, bob and carol each sign up through the real pages in a browser context of their own; every
post, comment and like travels between their contexts over WebRTC DataConnections brokered by
our server. Nothing here reaches into the app's state: it reads what a person would read.
"""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.e2e.harness import BrowserLog, screenshot
from tests.e2e.ui import (
    PEER_MS,
    accept_request,
    add_friend,
    come_online,
    comment,
    confirm,
    expect_friend,
    expect_online,
    friends_panel,
    go,
    go_offline,
    incoming_request,
    open_wall,
    outgoing_request,
    post,
    post_article,
    wall,
)


def test_friends_walls_comments_likes_and_deletes(sign_up, live_server_url, browser_log: BrowserLog):
    """A request to someone offline arrives when they come back; friends see and write each other's walls.

    Proves: a friend request sent while the other person is offline is delivered once they are
    online (the sender keeps trying); accepting makes both sides friends, shown as "@x online";
    a post on my wall reaches my friends; a friend's post on my wall reaches me and my other
    friends (who are not the poster's friends: the wall's owner vouches for the poster's key);
    comments and likes reach the wall's owner; the wall's owner may delete a friend's post, which
    then disappears everywhere; a comment's author may remove it; no page throws.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    carol = sign_up("carol")
    for user in (alice, bob, carol):
        expect_online(user.page)
    name = "test_friends_walls"

    # alice asks bob while bob is offline; the request reaches him when he is back.
    go_offline(bob)
    add_friend(alice.page, bob.handle)
    screenshot(alice.page, f"{name}-alice-friends-sent-request")
    alice.page.wait_for_timeout(1_500)  # alice's first tries find bob offline
    come_online(bob, live_server_url, "/friends")
    back = time.monotonic()
    request = incoming_request(bob.page, alice.handle)
    expect(request).to_be_visible(timeout=PEER_MS)
    print(f"the friend request reached bob {time.monotonic() - back:.1f} s after he came back online")
    expect(request).to_contain_text(f"@{alice.handle}")
    expect(request.get_by_role("button", name="Decline", exact=True)).to_be_visible()
    screenshot(bob.page, f"{name}-bob-friends-incoming-request")
    accept_request(bob.page, alice.handle)
    expect_friend(bob.page, alice.handle, online=True)
    expect_friend(alice.page, bob.handle, online=True)
    expect(outgoing_request(alice.page, bob.handle)).to_have_count(0)

    # carol befriends alice too (both online).
    add_friend(carol.page, alice.handle)
    accept_request(alice.page, carol.handle)
    expect_friend(carol.page, alice.handle)
    expect_friend(alice.page, carol.handle)
    screenshot(alice.page, f"{name}-alice-friends")
    # carol and bob are not friends: carol sees no @bob link.
    go(carol.page, "/friends")
    expect(friends_panel(carol.page).get_by_role("link", name=f"@{bob.handle}", exact=True)).to_have_count(0)

    # alice posts on her own wall; bob sees it on hers.
    open_wall(alice.page, alice.handle, me=alice.handle)
    hello = f"Hello friends, this is @{alice.handle}'s first post"
    mine = post(alice.page, alice.handle, hello)
    expect(mine).to_contain_text(f"@{alice.handle}")
    expect(mine).not_to_contain_text("pending")

    open_wall(bob.page, alice.handle)
    expect(post_article(bob.page, alice.handle, hello)).to_be_visible(timeout=PEER_MS)

    # bob writes on alice's wall: pending in his outbox, then delivered; alice and carol see it.
    visit = "bob was here, on alice's wall"
    bobs = post(bob.page, alice.handle, visit)
    expect(bobs).to_contain_text(f"@{bob.handle}")
    expect(bobs).to_contain_text("delivered", timeout=PEER_MS)
    expect(bobs).not_to_contain_text("pending")

    on_alice = post_article(alice.page, alice.handle, visit)
    expect(on_alice).to_be_visible(timeout=PEER_MS)
    expect(on_alice).to_contain_text(f"@{bob.handle}")

    open_wall(carol.page, alice.handle)
    on_carol = post_article(carol.page, alice.handle, visit)
    expect(on_carol).to_be_visible(timeout=PEER_MS)
    expect(on_carol).to_contain_text(f"@{bob.handle}")
    expect(post_article(carol.page, alice.handle, hello)).to_be_visible()

    # bob comments on alice's post and likes it; alice sees both.
    on_bob = post_article(bob.page, alice.handle, hello)
    remark = "Nice to see you here!"
    comment(on_bob, remark)
    like = on_bob.get_by_role("button", name="Like", exact=True)
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(on_bob).to_contain_text("You like this")

    on_alice = post_article(alice.page, alice.handle, hello)
    bobs_comment = on_alice.locator("li").filter(has_text=remark)
    expect(bobs_comment).to_be_visible(timeout=PEER_MS)
    expect(bobs_comment).to_contain_text(f"@{bob.handle}")
    alice_like = on_alice.get_by_role("button", name="Like", exact=True)
    expect(alice_like).to_contain_text("1", timeout=PEER_MS)  # the count beside "Like"
    expect(alice_like).to_have_attribute("aria-pressed", "false")
    expect(on_alice).to_contain_text(f"@{bob.handle} likes this")
    # The comment and the like are not pending on bob's side any more.
    expect(on_bob.locator("li").filter(has_text=remark)).not_to_contain_text("pending", timeout=PEER_MS)
    screenshot(alice.page, f"{name}-alice-wall-with-comment-and-like")
    screenshot(bob.page, f"{name}-bob-on-alice-wall")
    screenshot(carol.page, f"{name}-carol-on-alice-wall")

    # carol sees bob's comment too (the owner relays her wall to all her friends).
    expect(post_article(carol.page, alice.handle, hello).locator("li").filter(has_text=remark)).to_be_visible(
        timeout=PEER_MS
    )

    # alice deletes bob's post from her wall: the wall's owner may. It is gone for all three.
    confirm(post_article(alice.page, alice.handle, visit), "Delete", "Yes, delete")
    expect(post_article(alice.page, alice.handle, visit)).to_have_count(0)
    expect(post_article(bob.page, alice.handle, visit)).to_have_count(0, timeout=PEER_MS)
    expect(post_article(carol.page, alice.handle, visit)).to_have_count(0, timeout=PEER_MS)

    # bob removes his own comment: gone for him and for alice.
    on_bob = post_article(bob.page, alice.handle, hello)
    confirm(on_bob.locator("li").filter(has_text=remark), "Remove", "Yes, remove")
    expect(on_bob.locator("li").filter(has_text=remark)).to_have_count(0, timeout=PEER_MS)
    expect(post_article(alice.page, alice.handle, hello).locator("li").filter(has_text=remark)).to_have_count(
        0, timeout=PEER_MS
    )
    expect(post_article(carol.page, alice.handle, hello).locator("li").filter(has_text=remark)).to_have_count(
        0, timeout=PEER_MS
    )
    # alice's post itself, and bob's like of it, are untouched.
    expect(post_article(alice.page, alice.handle, hello)).to_contain_text(f"@{bob.handle} likes this")
    expect(wall(alice.page, alice.handle).locator("article")).to_have_count(1)
    screenshot(alice.page, f"{name}-alice-wall-after-deletes")

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
