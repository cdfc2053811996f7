"""The demo organization's training content, as plain data (seeded by `courses.demo`).

Written for Switchback Cycles (`organizations.demo`), a chain of bike repair and rental shops in
Boulder and Flagstaff, and its six service standards:

    S1 Greet every rider within 10 seconds        S4 Ready when we said
    S2 Explain the diagnosis in plain words       S5 Send every rider out safe and confident
    S3 No surprises: quote before we wrench       S6 Own the problem until it is solved

Lesson bodies are Markdown for frontline staff reading on a phone. In any text, `{S3}` becomes the
organization's own "S3 “Title”" when seeded. Choices are (text, is_correct, feedback); credits come
from the authoring rule (`courses.services.choice_credits_from_flags`), never from here. Titles of
courses and lessons, and question prompts, are the seed's natural keys: changing one creates a new
row instead of updating the old one.
"""

from __future__ import annotations

from typing import Any

SINGLE, MULTIPLE, TRUE_FALSE, SCENARIO = "single", "multiple", "true_false", "scenario"

# --- 1. First and last impressions ------------------------------------------------------------------

FIRST_AND_LAST_IMPRESSIONS: dict[str, Any] = {
    "title": "First and last impressions",
    "summary": (
        "How a visit to Switchback starts and ends: greeting every rider within ten seconds, even in "
        "a Saturday rush, asking about the ride before the bike, and sending every rider out the door "
        "safe and confident on a repaired or rented bike."
    ),
    "estimated_minutes": 20,
    "pass_mark_percent": 80,
    "lessons": [
        {
            "title": "The ten-second hello",
            "standards": ["S1"],
            "body": """
## Why ten seconds

When the door chime goes, a rider starts deciding whether this is a shop that cares. Ten seconds is
about the time it takes to walk from the door to the first bike rack. If nobody has noticed them by
then, they start to feel invisible, and **an invisible customer is an easy customer to lose.**

That's why our first standard is {S1}.

## What counts as a greeting

- **Look up and make eye contact.** A greeting to the top of your head doesn't count.
- **Say something real:** "Hey, welcome in!" beats a nod.
- **Whoever is nearest the door greets.** Not "the counter person." Mechanics, rental staff and
  managers too.
- **Step out** from behind the counter or the workstand when you can.

## What doesn't count

- A wave without looking up from the stand
- "One sec!" shouted from the back with your back turned
- Assuming a colleague has it

## Example

> *The door chimes. Keisha is truing a wheel at the stand nearest the door.*
>
> **Keisha:** Hey, welcome in! Dropping off or picking up?
>
> **Rider:** Dropping off. My gears are acting up.
>
> **Keisha:** Got it. Priya at the counter will check you in. Priya, this is... sorry, what's your name?
>
> **Rider:** Sam.
>
> **Keisha:** Priya, this is Sam, gears acting up.

## The point

A greeting isn't small talk. It tells the rider **"you've been seen, and someone is on it."**
Everything else in the visit goes more smoothly from there.
""",
            "practice_prompt": (
                "On your next shift, count the seconds from the door chime to the first hello for five "
                "customers. If any took longer than ten, note what was going on (a phone call, a repair, "
                "a line) and bring one idea to fix it to the next team huddle."
            ),
        },
        {
            "title": "Busy hands: acknowledge now, help soon",
            "standards": ["S1"],
            "body": """
## Busy is normal

At 9 a.m. on a Saturday you might be in the middle of a brake bleed, on the phone with a
supplier, and helping a rider choose a helmet, all at once. {S1} still applies. You don't have to
*serve* everyone within ten seconds; you have to **acknowledge** them.

## The three-part busy greeting

1. **Eye contact and a smile,** so they know you've seen them.
2. **A real time:** "Be right with you, about two minutes."
3. **Something to do meanwhile:** "Have a look at the new gloves by the window."

A vague "one sec" sounds like a brush-off. **A specific time sounds like a plan.**

## Keep the promise you just made

If two minutes turns into five, **check back** before they start to wonder: "Still with me? One
more minute and I'm all yours." If the wait will be long, call a colleague over rather than leaving
the rider standing.

## On the phone or at the stand

- **On the phone:** greet the rider who walks in right away, even mid-call. If the call will run
  long, ask the caller, "Can I put you on a short hold? Someone just walked in."
- **Mid-repair:** never walk away from a half-finished brake job or an open hydraulic line. Say so:
  "I'm finishing a brake job, so I need three minutes to do it safely."

## Example

> **You** *(looking up from the stand):* Hi, welcome in! I'm just finishing a brake job, about three
> minutes. Are you picking up?
>
> **Rider:** Yeah, the blue Trek.
>
> **You:** Perfect. Priya can grab that for you right now. Priya?
""",
            "practice_prompt": (
                "During your next rush, use the three-part busy greeting (eye contact, a real time, something "
                "to do meanwhile) with every rider who walks in. Afterward, jot down one time you had to check "
                "back and what you said."
            ),
        },
        {
            "title": "Ask about the ride before the bike",
            "standards": ["S1", "S2"],
            "body": """
## Start with the rider

A rider who asks for "a tune-up" might be commuting four miles a day, training for a 100-mile
gravel race, or dusting off a bike that has been in the garage for years. The bike is the same;
**what matters to them is completely different.**

That's why our greeting goes one step further: **"Where are you riding?"** comes before "What's
wrong with the bike?"

## Questions that open people up

- "Where do you usually ride?"
- "Anything coming up you want it ready for?"
- "When do you need it back?"
- "What's it doing that it shouldn't?"

## What to do with the answers

- **Write them on the ticket:** "Gravel race Sat 6/14. Commutes daily." The mechanic reads it, and
  so does the next person at the counter.
- **Use them when you explain the work** ({S2}): "For a gravel race, I'd want fresh tires, and your
  chain is close to worn out."
- **Use them to set the ready-by time:** if the race is Saturday, Thursday afternoon beats
  "sometime next week," and it leaves room for a test ride.

## Example

> **Rider:** Can I get a tune-up?
>
> **You:** Absolutely. Where are you riding these days?
>
> **Rider:** I'm doing the canyon ride on the 21st. First big one.
>
> **You:** Nice! Then let's have it ready by the 19th so you can take it for a test ride. Anything
> it's doing now that bugs you?

One question changed the whole visit: **a deadline, a reason, and a rider who feels like a person,
not a work order.**
""",
            "practice_prompt": (
                "With your next three check-ins, ask \"Where are you riding?\" before you look at the bike, and "
                "write what you learn on the ticket in one line. Later, ask the mechanic whether the note helped."
            ),
        },
        {
            "title": "The handover: out the door safe and confident",
            "standards": ["S5"],
            "body": """
## The last impression counts as much as the first

Whether it's a weekend rental or a bike back from the workshop, the last five minutes decide whether
the rider trusts us. {S5} is our checklist for those five minutes.

## The five-minute handover

1. **Fit:** set the saddle height *with the rider sitting on the bike*. With the pedal at the
   bottom, the knee should still have a slight bend.
2. **Brakes, together:** have them squeeze both levers. Tell them which is which: on our bikes,
   **the left lever is the front brake.** Riders from the UK or Australia are used to the opposite.
3. **Shifting, together:** have them run through the gears on a lap of the parking lot.
4. **Helmet:** offer one to every rental rider and check the fit: level, about two fingers above
   the eyebrows, straps in a V under the ears, one finger's room under the buckle.
5. **Where they're going:** share today's trail or route conditions and hand over the card with
   **the shop's phone number.**

## Example

> **You:** Hop on for me. How does that saddle height feel?
>
> **Rider:** A little low?
>
> **You:** Agreed, let's go up a bit. Now squeeze the brakes. Left is your front, so go easy on it on
> loose downhills. Where are you heading?
>
> **Rider:** The loop by the reservoir.
>
> **You:** Good choice. The north side is muddy after last night's storm, so start on the south
> side. Our number's on this card if anything feels off.

## Why it matters

A rider who leaves confident has a better ride, **comes back, and brings friends.** A rider who
discovers a low saddle or a grabby front brake on the trail remembers that instead.
""",
            "practice_prompt": (
                "Do the full five-minute handover (fit, brakes, shifting, helmet, conditions and our number) "
                "with every rider you send out today, repair or rental. Note any step you skipped and why."
            ),
        },
    ],
    "questions": [
        {
            "kind": SCENARIO,
            "title": "Saturday rush at the Boulder shop",
            "standards": ["S1"],
            "prompt": (
                "It's 10 a.m. on a Saturday at the Boulder shop. You're on the phone with a customer asking "
                "about rental availability, and two riders are already waiting at the counter for Priya. The "
                "door chimes and a rider walks in carrying a wheel with a flat tire. What do you do?"
            ),
            "explanation": (
                "{S1} is about acknowledging every rider within ten seconds, not serving them all at once. "
                "Eye contact, a real time, and something to do meanwhile."
            ),
            "choices": [
                (
                    "Keep your eyes on your screen until the call ends; greeting someone mid-call is rude to "
                    "the caller.",
                    False,
                    "The rider can't tell you're busy with something important; they only see that nobody "
                    "noticed them. {S1} asks whoever is nearest the door to acknowledge every rider within "
                    "ten seconds, even during a phone call.",
                ),
                (
                    "Look up, make eye contact and say \"Hi, welcome in! Be right with you, about two "
                    "minutes,\" then wrap up the call.",
                    True,
                    "This meets {S1}: the rider is acknowledged within seconds and knows how long the wait "
                    "is. A specific time sounds like a plan; \"one sec\" sounds like a brush-off.",
                ),
                (
                    "Point toward the line at the counter so the rider knows where to wait.",
                    False,
                    "Better than nothing, but it tells the rider to wait without telling them anyone will "
                    "help. {S1} means a real greeting and, when you're busy, a time: \"Be right with you, "
                    "about two minutes.\"",
                ),
                (
                    "Hang up on the caller so you can help the rider right away.",
                    False,
                    "The caller is a customer too. {S1} doesn't ask you to drop everything, only to "
                    "acknowledge the rider within ten seconds. A greeting now and a quick wrap-up of the "
                    "call serves them both.",
                ),
            ],
        },
        {
            "kind": SCENARIO,
            "title": "Rental pick-up before the storms",
            "standards": ["S5"],
            "prompt": (
                "A couple visiting from Australia pick up two rental mountain bikes at the Flagstaff shop. "
                "They're in a hurry to ride before the afternoon thunderstorms roll in. Ben has the bikes "
                "ready at the front. Which handover best fits how we work?"
            ),
            "explanation": (
                "The handover is where trust is won. {S5}: fit, brakes and shifting together, helmet, "
                "conditions and our number. Five minutes, every rider."
            ),
            "choices": [
                (
                    "Hand over the bikes and helmets quickly, since they're in a hurry, and wish them a "
                    "great ride.",
                    False,
                    "Their time matters, but a skipped handover can cost far more time on the trail. {S5} "
                    "asks us to fit the bike, check brakes and shifting with the rider, and share "
                    "conditions before they leave. It takes five minutes.",
                ),
                (
                    "Set each saddle height with the rider on the bike, check brakes together and point out "
                    "that the left lever is the front brake, check helmet fit, and mention the storm "
                    "forecast and the shop's number.",
                    True,
                    "This meets {S5}. Australian riders are used to the front brake on the right, so "
                    "pointing out the left lever prevents a hard front-brake grab on a downhill. Conditions "
                    "and our phone number complete a safe, confident start.",
                ),
                (
                    "Give them a trail map and the rental agreement to read while you adjust the bikes in "
                    "the back.",
                    False,
                    "A map helps, but {S5} is done with the rider: saddle height with them sitting on the "
                    "bike, brakes and shifting checked together. Adjusting out of sight can't catch what "
                    "they feel.",
                ),
                (
                    "Ask whether they've ridden mountain bikes before, and skip the checks if they say yes.",
                    False,
                    "Experience doesn't change the fit of a bike they've never ridden, or which lever is "
                    "the front brake here. {S5} applies to every rider, every time.",
                ),
            ],
        },
        {
            "kind": SINGLE,
            "title": "Who greets?",
            "standards": ["S1"],
            "prompt": (
                "A rider walks in while Priya, the service writer, is in the back checking on a part. Keisha, "
                "a mechanic, is at the workstand nearest the door. Who should greet the rider?"
            ),
            "explanation": (
                "{S1}: whoever is nearest the door acknowledges the rider within ten seconds, whatever their "
                "job title."
            ),
            "choices": [
                (
                    "Keisha, because she is nearest the door",
                    True,
                    "Right. The greeting belongs to whoever is nearest the door, mechanics included.",
                ),
                (
                    "Priya, because greeting is the service writer's job",
                    False,
                    "Priya is in the back; waiting for her leaves the rider unnoticed. {S1} belongs to "
                    "whoever is nearest.",
                ),
                (
                    "Whoever finishes their current task first",
                    False,
                    "That could take minutes. {S1} asks for a greeting within ten seconds, even in the "
                    "middle of a task.",
                ),
                (
                    "Nobody yet: the rider can ring the bell at the counter",
                    False,
                    "A rider who has to ring for attention already feels ignored. {S1} puts the first move "
                    "on us.",
                ),
            ],
        },
        {
            "kind": MULTIPLE,
            "title": "The rental handover",
            "standards": ["S5"],
            "prompt": "Which of these belong in every rental handover? Select all that apply.",
            "explanation": (
                "{S5}: fit the bike with the rider on it, check brakes and shifting together, offer and fit "
                "a helmet, and share conditions and the shop's number."
            ),
            "choices": [
                (
                    "Set the saddle height with the rider sitting on the bike",
                    True,
                    "Yes. Fit is only right when the rider is on the bike.",
                ),
                (
                    "Check the brakes and shifting together with the rider",
                    True,
                    "Yes, including which lever is the front brake.",
                ),
                (
                    "Offer a helmet and check that it fits",
                    True,
                    "Yes: level, two fingers above the eyebrows, straps in a V, one finger under the buckle.",
                ),
                (
                    "Share today's trail conditions and the shop's phone number",
                    True,
                    "Yes. Knowing where they're going and who to call is part of a confident start.",
                ),
                (
                    "Skip the brake check if the bike was serviced yesterday",
                    False,
                    "A recent service doesn't tell the rider which lever does what or how strong the brakes "
                    "feel. Check together, every time.",
                ),
                (
                    "Let riders adjust the saddle themselves at the trailhead",
                    False,
                    "Most riders don't carry the tool or know the right height. Set it with them at the "
                    "shop.",
                ),
            ],
        },
        {
            "kind": TRUE_FALSE,
            "title": "Greeting mid-repair",
            "standards": ["S1"],
            "prompt": (
                "If you're in the middle of bleeding a brake when a rider walks in, you should stop right away "
                "and walk over to help them."
            ),
            "explanation": (
                "Never leave an open hydraulic line or a half-finished brake job. {S1} asks you to acknowledge "
                "the rider with a greeting and a time, then finish safely."
            ),
            "choices": [
                (
                    "True",
                    False,
                    "Not quite. Walking away from an open brake job isn't safe. Greet the rider with a time "
                    "(\"Be right with you, about three minutes\") and finish first.",
                ),
                (
                    "False",
                    True,
                    "Right. Acknowledge the rider within ten seconds with a greeting and a time, then finish "
                    "the brake job safely.",
                ),
            ],
        },
    ],
}

# --- 2. Plain words, honest quotes ---------------------------------------------------------------------

PLAIN_WORDS_HONEST_QUOTES: dict[str, Any] = {
    "title": "Plain words, honest quotes",
    "summary": (
        "How to find out what a bike is really doing, explain it in words any rider understands, and "
        "agree on a price and a ready-by time before anyone picks up a wrench, including the approval "
        "call when a job grows."
    ),
    "estimated_minutes": 20,
    "pass_mark_percent": 75,
    "lessons": [
        {
            "title": "Symptoms first: let the rider describe it",
            "standards": ["S2"],
            "body": """
## The rider knows things you don't

You can see the bike, but only the rider knows **how it feels on the trail.** A creak that only
happens standing up on a climb, or a chain that skips only under load, won't show up on the
workstand. Let them tell the story before you start diagnosing.

## Ask, then stay quiet

- **What** is it doing? "Walk me through what happens."
- **When** does it happen? Climbing, braking, in the rain, in certain gears?
- **Since when?** After a crash, a new part, a long trip?

Then **let them finish.** Resist jumping in with "Oh, that's your hanger" after five words. You may
be right, but the rider hears that you stopped listening.

## Repeat it back

"So it slips out of the two biggest gears when you stand up on steep climbs, and it started after
you laid the bike down last week. Did I get that right?" Repeating back **proves you listened** and
catches misunderstandings before they cost time on the stand.

## Write it on the ticket

Use the rider's words plus the facts: *"Slips in 2 largest cogs under load, standing. Since crash
5/3, laid down on drive side."* The mechanic starts in the right place, and nobody has to call the
rider to ask again. A good ticket is the start of {S2}: you can't explain a diagnosis clearly if
you misunderstood the problem.

## Example

> **Rider:** There's this noise.
>
> **You:** Okay, tell me about it. What kind of noise, and when do you hear it?
>
> **Rider:** Like a click, every pedal stroke. Worse going uphill.
>
> **You:** A click every pedal stroke, worse climbing. Does it happen when you coast?
>
> **Rider:** No, only when I pedal.
>
> **You:** That helps a lot. I'm writing "click every pedal stroke, worse climbing, not when
> coasting" so Jonas knows exactly where to start.
""",
            "practice_prompt": (
                "At your next check-in, ask what, when and since when, then repeat the problem back before you "
                "touch the bike. Write the rider's own words on the ticket."
            ),
        },
        {
            "title": "Show it on the bike",
            "standards": ["S2"],
            "body": """
## Seeing beats hearing

"Your drivetrain is worn" means nothing to most riders. **A chain checker dropping all the way into
the chain** does. Whenever you can, **show the worn or broken part on the bike itself.** That's the
heart of {S2}.

## The three-sentence explanation

For each item, cover three things in plain words:

1. **What the part does:** "The brake pads are what grab the rotor to slow you down."
2. **What's wrong with it:** "Look, there's less than a millimeter of pad left here."
3. **What happens if it's left:** "Once they're gone, it's metal on metal. You lose braking power
   and ruin the rotor, which costs more."

## Needed for safety vs. nice to have

Sort the list for the rider, out loud:

- **Needed for safety:** worn brake pads, a cut tire sidewall, a loose headset.
- **Needed soon:** a stretched chain that will start wearing out the cassette.
- **Nice to have:** new grips, a tubeless conversion.

Never dress up a "nice to have" as urgent. **Riders who trust our "needed" list come back for the
nice-to-haves later.**

## Check understanding

End with a real question: **"Does that make sense? Want me to show you anything again?"** Watch their
face, not just their answer. No jargon without a translation, and never make anyone feel silly for
not knowing what a derailleur hanger is.

## Example

> **You:** See this little gauge? On a good chain it sits on top. On yours it drops right in. That
> means the chain has stretched.
>
> **Rider:** Is that bad?
>
> **You:** Not dangerous yet. But if we change the chain now, it's about $40. If we wait, it will wear
> out the gears in the back too, and that's closer to $150.
""",
            "practice_prompt": (
                "Pick one bike on the stand today and practice the three-sentence explanation (what the part "
                "does, what's wrong, what happens if it's left) with a teammate playing the rider. Then use it "
                "with a real customer."
            ),
        },
        {
            "title": "Quote before we wrench",
            "standards": ["S3"],
            "body": """
## The promise

{S3} is simple: **no work starts without a written estimate the customer agreed to.** Not a
ballpark shouted across the shop, not "probably around a hundred bucks." A written price and a
ready-by time on the ticket.

## What goes on the ticket

- **Each job and its price,** parts and labor: "Tune-up $89, chain $42 installed."
- **The total before tax.**
- **The ready-by time,** from the workshop board.
- **How to reach the rider** with questions: call or text, and the number.
- **The rider's okay:** a signature at the counter, or a written "yes" by text for drop-offs.

## Say it out loud, too

Read the total and the time back: "So that's $131 before tax, ready Thursday by 4 p.m. If we find
anything else, we'll text you before we touch it. Okay?" That last sentence sets up the approval
call before it's needed.

## "Just do whatever it needs"

It sounds like permission. It isn't. **"Whatever it needs" is a surprise waiting to happen** at
pick-up. Offer a ceiling instead: "Happy to. Let's say up to $150 without calling you, and we check
with you before anything over that. Does that work?" **Write the ceiling on the ticket.**

## Example

> **Rider:** Just fix it. I trust you guys.
>
> **You:** Thank you! I'll still write it up so there are no surprises. Tune-up and new brake pads:
> $124, ready Friday at noon. If it needs more than that, I'll text you first.
>
> **Rider:** Perfect.
""",
            "practice_prompt": (
                "For every ticket you write today, read back the total, the ready-by time and \"we'll contact "
                "you before anything extra\" before the rider leaves. Check that each ticket has a price, a "
                "time and a way to reach the rider."
            ),
        },
        {
            "title": "When the job grows: the approval call",
            "standards": ["S3", "S2"],
            "body": """
## Bikes hide things

Halfway through a tune-up, Jonas finds a gritty bottom bracket or a tire with a cut sidewall. The
estimate said $89. Now what? **Stop, and ask the rider before doing anything that isn't on the
estimate.** That's {S3}.

## The approval call or text

Use the same plain words as at the counter ({S2}):

1. **What we found:** "When we pulled the bottom bracket, the bearings were rough."
2. **What it means:** "That's the creak you heard on climbs. It will get worse."
3. **Options and prices:** "Replacing it is $65 with labor, so the new total would be $154. Or we
   leave it and finish the tune-up today."
4. **The question:** "Would you like us to go ahead?"

**A photo helps.** A quick picture of the worn part often answers every question before it's asked.

## No answer means no extra work

If the rider doesn't reply, **finish what was approved and keep trying.** Note every attempt on the
ticket. Never do the work "because they'll obviously want it."

## Pick-up: the invoice matches

At pick-up, the invoice matches the approved estimate plus any approved additions. Walk the rider
through it line by line. If something doesn't match, **fix it before they pay,** not after.

## Example text

> Hi Dana, it's Priya from Switchback. Your rear tire has a cut in the sidewall (photo attached). It
> could fail on a fast descent. A new tire is $58 installed, making your total $147. Reply YES to go
> ahead, or call us at the shop. Your bike is still on track for 4 p.m.
""",
            "practice_prompt": (
                "The next time a job grows, send the approval message in four parts: what we found, what it "
                "means, options and prices, the question. Attach a photo if you can, and note on the ticket "
                "when you sent it."
            ),
        },
    ],
    "questions": [
        {
            "kind": SCENARIO,
            "title": "The gritty bottom bracket",
            "standards": ["S3", "S2"],
            "prompt": (
                "During an $89 tune-up on Dana's gravel bike, Jonas finds that the bottom bracket bearings are "
                "rough. Replacing them would add $65. Dana asked for the bike by 4 p.m. and didn't set a "
                "spending limit. It's 1 p.m. What should happen next?"
            ),
            "explanation": (
                "Extra work needs the customer's okay first ({S3}), and a clear explanation lets them decide "
                "with confidence ({S2})."
            ),
            "choices": [
                (
                    "Replace the bottom bracket; Dana will want a bike that works properly.",
                    False,
                    "Even a good repair becomes a bad surprise if the customer didn't agree to it. {S3} "
                    "means we ask before doing anything that isn't on the estimate.",
                ),
                (
                    "Text Dana a photo, explain what the bearings do and what happens if they're left, give "
                    "the new total of $154, and ask whether to go ahead.",
                    True,
                    "This meets {S3}: no extra work without the customer's say-so. Explaining what the part "
                    "does and what happens if it's left meets {S2} too, so Dana can decide with confidence.",
                ),
                (
                    "Finish the tune-up and mention the bottom bracket at pick-up as something for next time.",
                    False,
                    "Better than doing it without asking, but Dana loses the chance to decide today and may "
                    "have to come back. {S3} asks us to call or text for approval while the bike is still "
                    "on the stand.",
                ),
                (
                    "Replace it, but leave it off the invoice so Dana isn't upset by a higher bill.",
                    False,
                    "Free work hides the problem and teaches nobody anything. {S3} is about agreeing on the "
                    "work and the price together, and {S2} about explaining why.",
                ),
            ],
        },
        {
            "kind": SCENARIO,
            "title": "The puzzled commuter",
            "standards": ["S2"],
            "prompt": (
                "A commuter drops off his bike because \"the brakes feel weird.\" You find the pads nearly worn "
                "through and a worn chain. You tell him: \"Your pads are toast and the chain's past 0.75, so "
                "it'll chew up the cassette.\" He nods slowly and says, \"Sure... so what does that mean?\" "
                "What's the best next step?"
            ),
            "explanation": (
                "{S2}: show the part, say what it does and what happens if it's left, and separate "
                "\"needed for safety\" from \"nice to have.\""
            ),
            "choices": [
                (
                    "Repeat the same explanation, more slowly.",
                    False,
                    "Slower jargon is still jargon. {S2} asks for plain words, and for showing the part on "
                    "the bike.",
                ),
                (
                    "Show him the thin pads and the chain checker on his bike, explain what each part does "
                    "and what happens if it's left, and say which one is needed for safety now.",
                    True,
                    "This meets {S2}: show the part, explain what it does and what happens if it's left, "
                    "and separate \"needed for safety\" (the pads) from \"needed soon\" (the chain).",
                ),
                (
                    "Tell him not to worry about the details; you'll take care of everything.",
                    False,
                    "He can't decide what he doesn't understand, and \"everything\" invites a surprise "
                    "bill. That misses {S2} and risks breaking {S3}.",
                ),
                (
                    "Hand him the price list and let him choose what he wants done.",
                    False,
                    "Prices without the why leave him guessing. {S2} is about showing and explaining in "
                    "plain words so he can decide with confidence.",
                ),
            ],
        },
        {
            "kind": SINGLE,
            "title": "\"Whatever it needs\"",
            "standards": ["S3"],
            "prompt": (
                "A rider dropping off her bike says, \"Just do whatever it needs.\" What do you write on the "
                "ticket?"
            ),
            "explanation": (
                "\"Whatever it needs\" is a surprise waiting to happen. {S3}: agree on a ceiling, and ask "
                "before going over it."
            ),
            "choices": [
                (
                    "A spending ceiling she agrees to (for example, up to $150 without calling) and that "
                    "anything above it needs her approval",
                    True,
                    "Right. A written ceiling keeps the final bill within what she agreed to.",
                ),
                (
                    "\"Customer approved all work\"",
                    False,
                    "That's a blank check, and the surprise comes at pick-up. Agree on a ceiling instead.",
                ),
                (
                    "Nothing extra; her spoken okay covers it",
                    False,
                    "Nobody else will know what she agreed to. {S3} needs the price on the ticket.",
                ),
                (
                    "The price of every service we offer, in case it's needed",
                    False,
                    "A price list isn't an estimate. She needs to agree to specific work and a total.",
                ),
            ],
        },
        {
            "kind": MULTIPLE,
            "title": "Explaining a diagnosis",
            "standards": ["S2"],
            "prompt": "Which of these help a rider understand a diagnosis? Select all that apply.",
            "explanation": (
                "{S2}: show the part on the bike, explain what happens if it's left, and check understanding."
            ),
            "choices": [
                (
                    "Showing the worn part on the bike itself",
                    True,
                    "Yes. Seeing beats hearing.",
                ),
                (
                    "Saying what happens if the part is left as it is",
                    True,
                    "Yes. That's what lets the rider weigh the cost.",
                ),
                (
                    "Asking \"Does that make sense?\" and watching their reaction",
                    True,
                    "Yes. Their face tells you more than their answer.",
                ),
                (
                    "Using the exact technical names so the rider learns the vocabulary",
                    False,
                    "Jargon without a translation makes riders feel left out. Use plain words.",
                ),
                (
                    "Listing every possible upgrade along with the safety items",
                    False,
                    "Mixing upgrades with safety items blurs what's needed. Sort the list for them.",
                ),
            ],
        },
        {
            "kind": TRUE_FALSE,
            "title": "No reply to an approval text",
            "standards": ["S3"],
            "prompt": (
                "If a customer doesn't reply to an approval text, it's fine to do the extra work when it's "
                "clearly needed for safety."
            ),
            "explanation": (
                "{S3}: no answer means no extra work. Finish what was approved, keep trying, and note every "
                "attempt on the ticket. If the bike isn't safe to ride, say so clearly at pick-up; the "
                "decision is still the rider's."
            ),
            "choices": [
                (
                    "True",
                    False,
                    "Not quite. Even needed work becomes a surprise bill without approval. Keep trying to "
                    "reach them and explain the safety issue clearly when you do.",
                ),
                (
                    "False",
                    True,
                    "Right. Finish what was approved, keep trying, and let the rider decide.",
                ),
            ],
        },
    ],
}

# --- 3. Ready when we said -----------------------------------------------------------------------------

READY_WHEN_WE_SAID: dict[str, Any] = {
    "title": "Ready when we said",
    "summary": (
        "A ready-by time is a promise. How to set one you can keep from the workshop board, what to do the "
        "moment one is going to slip, and how to have the bike clean and waiting at the front when the "
        "rider walks in."
    ),
    "estimated_minutes": 15,
    "pass_mark_percent": 70,
    "lessons": [
        {
            "title": "Setting a ready-by time you can keep",
            "standards": ["S4"],
            "body": """
## A time is a promise

When you write "Thursday, 4 p.m." on a ticket, the rider plans around it: a commute, a race, a
family trip to Sedona. {S4} starts at the counter, with **a time we can actually keep.**

## Read the board, don't guess

Before you promise a time, check the **workshop board:**

- How many bikes are ahead in the queue, and how big are those jobs?
- Who's working in the shop today and tomorrow?
- **Are the parts in stock?** A special-order derailleur can take days. Check before you promise.

Not sure? **Ask the mechanic on shift.** Thirty seconds of asking beats an apology call on Thursday.

## Promise the realistic time

- Quote the **realistic** time, not the best case. "Thursday by 4" that happens beats "Wednesday"
  that doesn't.
- If the rider needs it sooner, say honestly what's possible: "Wednesday is tight. Let me ask Jonas
  whether he can fit it in."
- **Never promise a time just to win the job.** A missed promise costs more than a lost sale.

## Example

> **Rider:** Can I get it back tomorrow?
>
> **You:** Let me check the board. There are six tune-ups ahead of you, so tomorrow would be a
> stretch. I can promise Thursday by 4 p.m. Does that work for your ride?
>
> **Rider:** My ride's Saturday, so Thursday's fine.
>
> **You:** Great. Thursday, 4 p.m. I'm writing it on your ticket.

## Why it matters

Riders forgive a longer wait they agreed to. They don't forget a promise we broke.
""",
            "practice_prompt": (
                "Before you write your next three ready-by times, check the workshop board and ask the mechanic "
                "on shift. At the end of the week, count how many of the times you promised were kept."
            ),
        },
        {
            "title": "When it's going to slip, call first",
            "standards": ["S4"],
            "body": """
## The rule

Parts arrive late. A simple job turns into a big one. Delays happen. What {S4} doesn't allow is the
rider finding out by showing up. **They hear it from us, before the deadline, with the reason and a
new time.**

## As soon as you know

The moment a ready-by time looks at risk, **flag it on the board and contact the rider.** Not at
3:55 p.m. for a 4 p.m. pick-up. The earlier they know, the more options they have.

## What to say

1. **Own it:** "I'm sorry, your bike won't be ready by 4 today as we promised."
2. **The reason, briefly and honestly:** "The wheel we ordered was delayed in shipping."
3. **The new time:** "It arrives tomorrow morning, and your bike will be ready by 2 p.m."
4. **What we'll do about it:** offer **a loaner bike** or **a discount** for the missed promise.

## Make the new time a real one

Check the board again before you give the new time. **Missing a promise twice is far worse than
missing it once.**

## Example

> **Daniel:** Hi Marcus, it's Daniel at Switchback in Flagstaff. I'm sorry, your bike won't be ready
> at 4 today like we promised. The wheel we ordered was delayed in shipping; it arrives tomorrow
> morning, and we'll have your bike ready by 2 p.m. Meanwhile, we have a loaner bike if you need to
> get to work. Would that help?
>
> **Marcus:** Actually, yes. That would be great.
>
> **Daniel:** It'll be ready at the front for you after 5 today. Again, sorry for the hassle.

A call like this turns a broken promise into proof that we keep our word even when things go wrong.
""",
            "practice_prompt": (
                "Look at today's board and find any bike whose ready-by time is at risk. With your manager, "
                "make the call before lunch using the four parts: own it, the reason, the new time, and what "
                "we'll do about it."
            ),
        },
        {
            "title": "Ready at the front, ready to ride",
            "standards": ["S4", "S3"],
            "body": """
## The pick-up moment

The rider took time out of their day to come in. {S4} isn't only about finishing the work on time:
it means **the bike is tagged, cleaned and waiting at the front** when they arrive.

## Fifteen minutes before pick-up

- **Tag it:** name, ticket number and "ready."
- **Clean it:** a wiped frame and a clean drivetrain say "we cared" more than any words.
- **Bring it to the front:** in the ready rack, not on a workstand in the back.
- **Check the invoice against the estimate** ({S3}). Anything different needs an approval noted
  on the ticket. If it's not there, sort it out before the rider arrives.

## At the counter

- Greet the rider by name if you can.
- **Walk through what we did** in plain words, and hand back any replaced parts they asked to see.
- Mention anything we noticed for next time, clearly marked **not urgent.**
- Then the handover: saddle height, brakes, a quick spin in the parking lot.

## Example

> **You:** Hi Alex! Your bike's right here. We replaced the chain and the brake pads and adjusted the
> gears. The total is $118, exactly what we quoted.
>
> **Alex:** Great.
>
> **You:** We also noticed your tires are getting thin. No rush, but worth thinking about before
> fall. Want to hop on and check the brakes with me?

## Why it matters

A rider who waits while we hunt for their bike in the back starts to wonder what else we lost track
of. **A bike waiting at the front, clean and tagged, shows we were expecting them.**
""",
            "practice_prompt": (
                "Fifteen minutes before each pick-up on your shift, check that the bike is tagged, clean, in "
                "the ready rack, and that its invoice matches the estimate. Fix anything that isn't before the "
                "rider arrives."
            ),
        },
    ],
    "questions": [
        {
            "kind": SCENARIO,
            "title": "The late wheel",
            "standards": ["S4"],
            "prompt": (
                "It's Wednesday, 10 a.m., at the Flagstaff shop. A customer's bike is promised for 4 p.m. "
                "today, but the replacement wheel hasn't arrived, and the distributor now says tomorrow "
                "morning. The customer hasn't called. What do you do?"
            ),
            "explanation": (
                "{S4}: when a time is going to slip, the customer hears it from us before the deadline, with "
                "the reason, a new time, and a loaner or a discount."
            ),
            "choices": [
                (
                    "Wait until 4 p.m.; the wheel might still come on the afternoon truck.",
                    False,
                    "Hoping for the best leaves the customer to find out at the counter. {S4} asks us to "
                    "contact them before the deadline, with the reason and a new time.",
                ),
                (
                    "Call the customer now: apologize, explain that the wheel was delayed, give a new time "
                    "checked against the board, and offer a loaner bike.",
                    True,
                    "This meets {S4}: the customer hears it from us before the deadline, with the reason, a "
                    "realistic new time, and a loaner for the missed promise.",
                ),
                (
                    "Text the customer at 3:45 p.m. that the bike will be ready \"soon.\"",
                    False,
                    "A last-minute message with no reason and no time doesn't let the customer plan. {S4} "
                    "means contacting them as soon as you know, with a real new time.",
                ),
                (
                    "Fit a used wheel from the parts bin so the bike is ready on time.",
                    False,
                    "Fitting a part the customer didn't agree to breaks {S3}: no work without an approved "
                    "estimate. Keep {S4} honestly instead: call, explain, and set a new time.",
                ),
            ],
        },
        {
            "kind": SCENARIO,
            "title": "The bike that wasn't at the front",
            "standards": ["S4", "S5"],
            "prompt": (
                "A rider arrives at 5 p.m., right on time, to pick up her bike. Nobody can find it at the "
                "front: it's still on a workstand in the back, greasy from the repair, though the ticket shows "
                "the work is done. She's in a hurry to get to a group ride. What's the best response?"
            ),
            "explanation": (
                "{S4} means the bike is tagged, cleaned and waiting at the front. When we miss that, "
                "apologize, still send her out safe ({S5}), and fix the habit."
            ),
            "choices": [
                (
                    "Explain that it's been a busy day, then go get the bike as it is.",
                    False,
                    "Busy days are real, but the rider isn't responsible for our workflow, and an excuse "
                    "isn't an apology. {S4} means the bike is waiting at the front when she arrives.",
                ),
                (
                    "Apologize, bring the bike out right away, check the brakes and shifting with her so she "
                    "leaves safe for her group ride, and tell the team that finished bikes go to the ready "
                    "rack.",
                    True,
                    "This recovers the moment: an honest apology and a quick handover so she leaves safe "
                    "and confident ({S5}). Fixing the habit behind it helps the team keep {S4}.",
                ),
                (
                    "Ask her to wait 20 minutes while you clean the bike properly.",
                    False,
                    "A clean bike is part of {S4}, but making her late for her ride costs her more than a "
                    "greasy frame. Apologize, hand it over safely, and offer a free wash next visit.",
                ),
            ],
        },
        {
            "kind": SINGLE,
            "title": "Before you promise a time",
            "standards": ["S4"],
            "prompt": "Before you write a ready-by time on a ticket, what should you check first?",
            "explanation": (
                "{S4} starts with a realistic time: read the workshop board, and ask the mechanic on shift "
                "when in doubt."
            ),
            "choices": [
                (
                    "The workshop board: the queue, who's working, and whether the parts are in stock",
                    True,
                    "Right. A promise is only as good as the information behind it.",
                ),
                (
                    "What time the customer would like",
                    False,
                    "Their deadline matters, but the time you promise must come from the board.",
                ),
                (
                    "The usual turnaround for that kind of job",
                    False,
                    "\"Usual\" ignores today's queue and missing parts. Check the board.",
                ),
                (
                    "Whichever time is most likely to win the job",
                    False,
                    "A time promised to win the job is the one most likely to be broken.",
                ),
            ],
        },
        {
            "kind": MULTIPLE,
            "title": "The slip call",
            "standards": ["S4"],
            "prompt": (
                "A promised ready-by time is going to be missed. Which of these belong in your message to the "
                "customer? Select all that apply."
            ),
            "explanation": (
                "{S4}: own it, give the reason, a new time you've checked, and what we'll do about it."
            ),
            "choices": [
                ("An apology", True, "Yes. Start by owning the missed promise."),
                ("The reason, briefly and honestly", True, "Yes. A short, true reason helps them trust the new time."),
                ("A new time checked against the board", True, "Yes. Missing a promise twice is worse than once."),
                (
                    "An offer of a loaner bike or a discount",
                    True,
                    "Yes. It answers what the missed promise cost them.",
                ),
                (
                    "Which colleague caused the delay",
                    False,
                    "To the customer, we're one shop. Blaming a colleague goes against {S6}.",
                ),
                (
                    "\"As soon as possible\" instead of a time",
                    False,
                    "A vague time can't be planned around. Give a real one.",
                ),
            ],
        },
        {
            "kind": TRUE_FALSE,
            "title": "Quoting a faster time",
            "standards": ["S4"],
            "prompt": (
                "It's okay to promise a faster ready-by time than the board suggests if the customer might "
                "otherwise take the bike to another shop."
            ),
            "explanation": (
                "{S4}: a ready-by time is a promise. Quote the realistic time, and say honestly what's "
                "possible if they need it sooner."
            ),
            "choices": [
                (
                    "True",
                    False,
                    "Not quite. A promise made to win the job and then broken costs more than the job. Be "
                    "honest about the time and what's possible.",
                ),
                (
                    "False",
                    True,
                    "Right. Promise the realistic time. If they need it sooner, ask the mechanic what's "
                    "possible before promising.",
                ),
            ],
        },
    ],
}

# --- 4. Owning a problem until it is solved -------------------------------------------------------------

OWNING_A_PROBLEM: dict[str, Any] = {
    "title": "Owning a problem until it is solved",
    "summary": (
        "When something goes wrong, the first person who hears about it owns it. How to listen and "
        "apologize, hand off without dropping anything, use the $50 make-it-right allowance without "
        "waiting for a manager, and follow up until the fix holds."
    ),
    "estimated_minutes": 20,
    "pass_mark_percent": 80,
    "lessons": [
        {
            "title": "The first person who hears it owns it",
            "standards": ["S6"],
            "body": """
## What owning means

A rider comes back: the shifting we adjusted on Tuesday is skipping again. The mechanic who did the
job is off today. The person at the counter is you. Under {S6}, **you own it now.** Not the
mechanic, not the manager, not "whoever's in tomorrow."

Owning doesn't mean fixing it with your own hands. It means **you make sure it gets fixed, and the
rider never has to explain it twice.**

## What owning sounds like

- "I'm sorry it's doing that again. I'll take care of it."
- "Let me get it on a stand right now and see what's going on."
- "I'll call you by 3 today with what we found."

## What it doesn't sound like

- "The mechanic who did that isn't in today." *(passing the rider around)*
- "It must have got knocked on your car rack." *(blaming the rider before you know)*
- "Keisha set that up, so..." *(blaming a colleague: to the rider, we're one shop)*
- "You'll have to talk to the manager." *(unless it truly needs one, and then you bring the manager
  over and stay)*

## Handing off without dropping it

Sometimes someone else has to do the work. That's fine, as long as you **hand off in person,** with
the full story on the ticket, and **tell the rider who has it and when they'll hear back.** You stay
the rider's contact until they do.

## Example

> **Rider:** I was just here Tuesday and it's skipping again.
>
> **You:** I'm sorry, that's frustrating when you just picked it up. I'll take care of this. Let me
> put it on the stand now and look at it while you're here.
""",
            "practice_prompt": (
                "This week, when a customer brings you a problem, say \"I'll take care of it,\" and then do it. "
                "Write on the ticket what you promised and by when."
            ),
        },
        {
            "title": "Listen, apologize, then act",
            "standards": ["S6", "S2"],
            "body": """
## In this order

When a rider is upset, the instinct is to jump straight to the fix, or to explain why it happened.
Both feel like we're not listening. {S6} starts with **listening without interrupting,** then **a
sincere apology,** then **action.**

## 1. Listen to the whole story

- Let them finish, even if you already know the fix.
- Take notes, and ask one clarifying question: "When did it start?"
- Acknowledge the feeling, not just the facts: "You missed your ride because of this. That's really
  frustrating."

## 2. Apologize sincerely

A good apology is **short, specific, and has no "but."**

- **Good:** "I'm sorry. We told you it was ready to ride, and it wasn't."
- **Not this:** "Sorry if you feel that way." / "Sorry, but we were slammed."

You can apologize for the experience before you know whose fault it was. **An apology isn't an
admission of blame;** it recognizes what the rider went through.

## 3. Act, and say when

- Say what you'll do: "I'm putting it on the stand right now."
- Say **by when,** and write it on the ticket.
- Explain what you find in plain words ({S2}), as you would for any diagnosis.

## Example

> **Rider:** I paid $89 for a tune-up and the brakes squeal so loud people on the trail stare at me.
>
> **You:** Oh no, that's embarrassing on the trail. I'm sorry. When did it start?
>
> **Rider:** Right away, on the first ride.
>
> **You:** Then that's on us. I'll clean the rotors and pads right now; it takes about 20 minutes.
> Can you wait, or should I text you when it's done?
""",
            "practice_prompt": (
                "Next time a rider is upset, wait until they've completely finished talking before you answer. "
                "Then use a short, specific apology with no \"but,\" and say what you'll do and by when."
            ),
        },
        {
            "title": "Making it right: the $50 allowance",
            "standards": ["S6"],
            "body": """
## You don't need permission

Every one of us can spend **up to $50 to make a problem right,** on the spot, **without asking a
manager.** It's part of {S6}. It exists so riders don't wait while we look for someone with
authority, and so the person who owns the problem can actually solve it.

## Fix first

**Redoing our own work is always free** and doesn't count toward the $50. The allowance is for what
the problem cost the rider on top of that. **A gesture never replaces a fix.**

## Match the gesture to what the rider lost

- **A loaner bike** when theirs isn't ready.
- **A discount** on the invoice when we missed a promised time ({S4}).
- **A replacement part or tube** when something we installed failed early.
- **A free wash and lube** when the visit went badly in a smaller way.

## Use it well

- **Offer, don't haggle:** "I'd like to take $25 off today for the trouble" beats "What would make
  you happy?"
- **Write it on the ticket:** what you gave and why, so the team can spot patterns.
- **Above $50,** bring a manager over yourself and stay with the rider while you do.

## Example

> **You:** We've re-adjusted the derailleur, and the hanger was slightly bent, so we straightened it.
> No charge, of course. And since you lost a ride over this, I'd like to give you a free wash and
> lube on your next visit. Sound fair?
>
> **Rider:** More than fair. Thanks.

## Why we trust you with it

The person who hears the problem knows best what it cost the rider. **Waiting three days for a
manager's okay turns a $20 fix into a lost customer.**
""",
            "practice_prompt": (
                "Think of the last problem a customer brought to the shop. Write down what you would have "
                "offered from the $50 allowance and why, and talk it over with your manager this week."
            ),
        },
        {
            "title": "Close the loop: the two-day follow-up",
            "standards": ["S6", "S4"],
            "body": """
## The fix isn't finished at the counter

A rider leaves happy, then the creak comes back on the first climb. If we never ask, we never know,
and **they quietly stop coming.** {S6} ends with a follow-up **within two business days** to check
that the fix held.

## How to follow up

- **Put it on the ticket** before the rider leaves: "Follow up by Fri: check shifting."
- **Say it out loud:** "I'll text you Thursday to see how it rode."
- **Keep that promise;** it's a ready-by time of its own ({S4}).
- **Keep it short:** "Hi Sam, it's Tomás from Switchback. How did the bike shift on your weekend
  ride? If anything's off, bring it by and we'll sort it out right away."

## When the fix didn't hold

Thank them for telling you, and **own it again.** Book them in first thing, offer a loaner, and tell
the mechanic exactly what failed. A problem that comes back twice is a pattern: **flag it to your
manager** so the team can learn from it.

## Why it works

A problem handled well, followed by a message to check, is often what riders remember and tell
their friends about: *"They actually texted to ask how my bike was doing."*

## Example

> **Priya** *(text, Thursday):* Hi Dana, it's Priya at Switchback. Checking in: is the bottom
> bracket still quiet after the weekend?
>
> **Dana:** Silent! Thanks for asking.
>
> **Priya:** Great to hear. Enjoy your rides!
""",
            "practice_prompt": (
                "For every problem you own this week, write a follow-up date on the ticket (within two business "
                "days) and send the follow-up yourself. Note on the ticket what the rider said."
            ),
        },
    ],
    "questions": [
        {
            "kind": SCENARIO,
            "title": "Skipping again",
            "standards": ["S6"],
            "prompt": (
                "On Tuesday, Keisha adjusted the shifting on a customer's trail bike. On Thursday the customer "
                "is back at the Boulder counter, annoyed: \"It's skipping again, and I have a race on "
                "Saturday.\" Keisha is off today, and you're at the counter. What do you say?"
            ),
            "explanation": (
                "{S6}: the first person who hears about a problem owns it: listen, apologize, act, with no "
                "passing the customer around and no blaming a colleague."
            ),
            "choices": [
                (
                    "\"Keisha did the adjustment, so it's best to come back Monday when she's in.\"",
                    False,
                    "Passing the rider to a colleague who isn't here breaks {S6}: the first person who "
                    "hears about a problem owns it. The race is Saturday; Monday solves nothing.",
                ),
                (
                    "\"I'm sorry it's doing that again, especially with a race coming up. I'll take care of "
                    "it. Let me put it on a stand right now and see what's going on.\"",
                    True,
                    "This meets {S6}: a sincere apology, then you take ownership and act right away, "
                    "without blaming Keisha or sending the rider away.",
                ),
                (
                    "\"Did you put it on a car rack? That usually knocks the gears out.\"",
                    False,
                    "Questions can help the diagnosis, but opening with one that sounds like blame puts the "
                    "rider on the defensive. {S6} starts with listening and a sincere apology.",
                ),
                (
                    "\"Let me get the manager for you.\"",
                    False,
                    "Bringing in a manager isn't wrong when it's truly needed, but you can solve this. "
                    "{S6} means you own the problem yourself instead of handing the rider off.",
                ),
            ],
        },
        {
            "kind": SCENARIO,
            "title": "The lost weekend",
            "standards": ["S6", "S4"],
            "prompt": (
                "A rider dropped off her bike for an $89 tune-up, promised for Friday at 5 p.m. so she could "
                "ride on Saturday. Nobody called her, and at 5 p.m. on Friday it isn't done. She's at the "
                "counter and clearly upset: her weekend plans are ruined. You've listened and apologized. "
                "What's the best next step?"
            ),
            "explanation": (
                "Make it right on the spot with the $50 allowance ({S6}) and answer the missed promise with a "
                "loaner or a discount and a real new time ({S4})."
            ),
            "choices": [
                (
                    "Offer her a loaner bike for the weekend, take $30 off the tune-up, and give her a new "
                    "ready-by time checked against the board.",
                    True,
                    "This meets {S6}: you use the $50 make-it-right allowance on the spot, without waiting "
                    "for a manager. The loaner and the new time also answer the missed promise under {S4}.",
                ),
                (
                    "Tell her you'll ask the manager on Monday whether a discount is possible.",
                    False,
                    "Making her wait days for a decision you're allowed to make today breaks {S6}: everyone "
                    "may spend up to $50 to make it right without asking.",
                ),
                (
                    "Explain that Fridays are always busy and that's why it's late.",
                    False,
                    "An explanation without a fix sounds like an excuse. {S6} means owning the problem and "
                    "making it right, not justifying it.",
                ),
                (
                    "Give her $200 in store credit so she's sure to be happy.",
                    False,
                    "Generous, but it doesn't solve her real problem (her weekend), and above $50 you'd "
                    "bring in a manager. Under {S6}, a loaner and a fair discount now fit what she lost.",
                ),
            ],
        },
        {
            "kind": SCENARIO,
            "title": "A call about leaking tires",
            "standards": ["S6"],
            "prompt": (
                "A customer calls the Flagstaff shop: the tubeless tires we set up last week have gone flat "
                "overnight, twice. Rosa, who handles bookings remotely, takes the call. She can't fix tires "
                "herself. What should she do?"
            ),
            "explanation": (
                "{S6}: owning a problem means making sure it gets fixed, not fixing it with your own hands. "
                "Hand off in person, and stay the customer's contact."
            ),
            "choices": [
                (
                    "Ask the customer to call back later, when a mechanic is free.",
                    False,
                    "That hands the problem back to the customer, who will have to explain it all again. "
                    "{S6} says the first person who hears about it owns it.",
                ),
                (
                    "Apologize, take the details, hand it over to Sofia in the workshop with the full story "
                    "on the ticket, tell the customer who has it and when they'll hear back, and stay their "
                    "contact until they do.",
                    True,
                    "This meets {S6}: Rosa makes sure it gets fixed, the customer never explains it twice, "
                    "and she stays their contact until it's solved.",
                ),
                (
                    "Tell the customer to add more sealant at home; that usually fixes it.",
                    False,
                    "Advice may help, but it leaves the customer to fix our work. Under {S6}, the shop owns "
                    "the fix.",
                ),
            ],
        },
        {
            "kind": SINGLE,
            "title": "The $50 allowance",
            "standards": ["S6"],
            "prompt": (
                "Who may spend up to $50 to make a customer's problem right, without asking a manager?"
            ),
            "explanation": (
                "{S6}: everyone may spend up to $50 to make it right, so the person who owns the problem can "
                "solve it on the spot."
            ),
            "choices": [
                ("Everyone on the team", True, "Right. Whoever owns the problem can make it right."),
                ("Only store managers", False, "No. Waiting for a manager is exactly what the allowance avoids."),
                (
                    "Only the person who did the original work",
                    False,
                    "No. The first person who hears about the problem owns it, whoever did the work.",
                ),
                ("Only service writers", False, "No. Mechanics, rental staff and guides may use it too."),
            ],
        },
        {
            "kind": MULTIPLE,
            "title": "What owning looks like",
            "standards": ["S6"],
            "prompt": "Which of these are part of owning a problem? Select all that apply.",
            "explanation": (
                "{S6}: listen, apologize, say what you'll do and by when, make it right, and follow up within "
                "two business days."
            ),
            "choices": [
                (
                    "Saying what you'll do and by when, and writing it on the ticket",
                    True,
                    "Yes. A promise on the ticket is one the whole team can keep.",
                ),
                (
                    "Following up within two business days to check that the fix held",
                    True,
                    "Yes. The fix isn't finished at the counter.",
                ),
                (
                    "Apologizing sincerely before explaining anything",
                    True,
                    "Yes. Listen, apologize, then act.",
                ),
                (
                    "Explaining which colleague made the mistake",
                    False,
                    "To the rider, we're one shop. Blaming a colleague isn't owning.",
                ),
                (
                    "Waiting for a manager before offering anything",
                    False,
                    "Everyone may spend up to $50 to make it right without asking.",
                ),
            ],
        },
        {
            "kind": TRUE_FALSE,
            "title": "Apology with a reason",
            "standards": ["S6"],
            "prompt": (
                "A sincere apology should include why the problem wasn't our fault, so the customer understands."
            ),
            "explanation": (
                "{S6}: a good apology is short, specific and has no \"but.\" Explain what happened later, in "
                "plain words, as part of the fix ({S2}), not as a defense."
            ),
            "choices": [
                (
                    "True",
                    False,
                    "Not quite. A reason attached to an apology sounds like an excuse. Apologize, act, and "
                    "explain what you found as part of the fix.",
                ),
                (
                    "False",
                    True,
                    "Right. Keep the apology short and specific, with no \"but.\"",
                ),
            ],
        },
    ],
}

COURSES: list[dict[str, Any]] = [
    FIRST_AND_LAST_IMPRESSIONS,
    PLAIN_WORDS_HONEST_QUOTES,
    READY_WHEN_WE_SAID,
    OWNING_A_PROBLEM,
]

PROGRAM: dict[str, str] = {
    "title": "New starter essentials",
    "description": (
        "Start here. Four short courses that follow a rider's visit to Switchback: the welcome and the "
        "handover, the diagnosis and the quote, the promised ready-by time, and what to do when something "
        "goes wrong. Take them in order during your first two weeks; each ends with a short knowledge check "
        "and a \"try this at work\" task for every lesson."
    ),
}
